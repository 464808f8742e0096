"""What ``jest --json`` says of a failing test and of its earlier attempts: the failure's
``Problem`` (its first line the message, the error's name its type, phase "setup" when a
``beforeAll`` threw it), and the failed attempts before the last under ``jest.retryTimes``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from netra_diag.suites.jest_json_doc import JsonDoc, strip_ansi
from netra_diag.suites.model import Outcome, Problem, ProblemKind
from netra_diag.suites.xmlstream import clip_text

__all__ = ["error_line", "failure", "hook_phase", "retries", "type_of"]

# "TypeError: ...", "SyntaxError: /path: ...", "Error: expect(received)...".
_ERROR_NAME = re.compile(r"(?P<type>(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception))(?: \[\w+\])?: ")


def retries(test: Any, outcome: Outcome, at: str, doc: JsonDoc) -> tuple[Problem, ...]:
    """The failed attempts before a test's last one (``jest.retryTimes``): jest writes each
    one's error in ``retryReasons`` and the attempts in ``invocations``; a pass after them is a
    pass on retry (flaky), as Surefire's ``flakyFailure`` says."""
    if type(test) is not dict:
        return ()
    if not test.get("retryReasons"):
        # (nearly every test ran once: jest writes invocations 1 and no reason, said at once)
        invocations = test.get("invocations")
        if invocations is None or (type(invocations) is int and invocations < 2):
            return ()
    reasons = [strip_ansi(r) for r in doc.strings(test, "retryReasons", at)]
    attempts = doc.get(test, "invocations", int, at) or 0
    if not reasons and attempts > 1:  # (jest before retryReasons: the count alone)
        reasons = [
            f"failed attempt {k} of {attempts} (jest wrote no reason)" for k in range(1, attempts)
        ]
    if outcome is Outcome.PASSED:
        kind = ProblemKind.FLAKY_FAILURE
    elif outcome is Outcome.FAILED:
        kind = ProblemKind.RERUN_FAILURE
    else:
        return ()
    return tuple(replace(failure([reason]), kind=kind) for reason in reasons)


# A snapshot matcher's failure when the snapshot does not exist and jest may not write it
# (--ci, CI=true): a missing .snap file, not a changed value; said in the message, which
# otherwise is the matcher's alone, as for a snapshot that no longer matches.
_NOT_WRITTEN = "New snapshot was not written."


# jest-circus runs a beforeAll from _runTestsForDescribeBlockOnce and fails each test of its
# describe with the hook's error, whose stack shows both (a beforeEach or afterEach runs from
# _runTest: before or after the test, the stack does not say; an afterAll's error is the file's).
_BEFORE_ALL = re.compile(r"at _callCircusHook \([^\n]*\n\s*at _runTestsForDescribeBlockOnce ")


def hook_phase(text: str) -> str:
    """ "setup" when ``text`` (a failing test's stack) is a ``beforeAll``'s error, else ""."""
    if "_callCircusHook" not in text:
        return ""
    return "setup" if _BEFORE_ALL.search(text) else ""


def failure(messages: Sequence[str]) -> Problem:
    text = "\n\n".join(messages).strip("\n")
    line = error_line(text) or "failed (jest wrote no message)"
    if "Snapshot(" in line and _NOT_WRITTEN in text[:4096]:
        line = f"{line}: {_NOT_WRITTEN[:-1]} (jest --ci writes none: is the .snap file committed?)"
    return Problem(
        ProblemKind.FAILURE,
        type=type_of(line),
        message=clip_text(line, 4096),
        text=clip_text(text),
        phase=hook_phase(text),
    )


def error_line(text: str) -> str:
    """The line that says what went wrong: the first after jest's "●" heading."""
    for line in text[:8192].splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("●"):
            return stripped
    return ""


def type_of(line: str) -> str:
    match = _ERROR_NAME.match(line)
    return match.group("type") if match else ""
