"""Failure signatures: exception type + normalised message + innermost frame in the code under test.

Two failures with the same signature are very likely one cause. Normalising strips what differs
between occurrences of the same cause (ids, uuids, hex addresses, ports, counters, timestamps,
temporary paths) but keeps what tells causes apart in this service: WebSocket close codes
(RFC 6455 §7.4: 1000-1015), HTTP statuses and errno values.

The innermost frame is the deepest traceback frame outside third-party and standard-library code
and outside the tests themselves; when the failure never left the test (an assertion, a call with
a wrong signature) it is empty, so the same message from different tests still groups, unless the
message is too generic to mean anything on its own ("assert False"), in which case the test's own
innermost frame is used.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import repeat

from netra_diag.redaction import JWT_PATTERN, environment_secrets, hide_assigned_secrets
from netra_diag.suites.frames import innermost_frame
from netra_diag.suites.model import Problem, ProblemKind, TestCase

__all__ = [
    "Signature",
    "exception_type",
    "message_body",
    "new_signatures",
    "normalise_message",
    "problem_signature",
    "signature_of",
]

# One cheap scan finds candidate spans (words with a digit, temp paths, JWT-shaped text); each
# candidate is then classified. Much faster than one big alternation tried at every position.
# The alternation is tried at every position of every message: an alternative that opens with a
# plain character ("/", not an optional "/private") is ruled out by one comparison, which took
# a fifth off the scan of the benchmark's 13k failure messages.
_CANDIDATE = re.compile(
    r"/(?:private/)?(?:tmp|var/folders|var/tmp)/[^\s'\",:)]*"
    r"|[A-Za-z]:\\[^\s'\"]*\\Temp\\[^\s'\",:)]*"
    r"|eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*|eyJ…#[0-9a-f]{8}"
    r"|(?:HTTP|[Ss]tatus|[Cc]ode|Errno|errno)[ :=/]{0,2}\d{3,5}"
    r"|(?<![\w.:\[\]-])[\w.:\[\]-]*\d[\w.:\[\]-]*(?:'?, \d{1,5}\b)?"
)
_KEEP = re.compile(r"(?:HTTP|[Ss]tatus|[Cc]ode|Errno|errno)[ :=/]{0,2}\d{3,5}|10(?:0\d|1[0-5])")
_TIME = re.compile(
    r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?"
    r"|\d\d:\d\d:\d\d(?:[.,]\d+)?"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HOSTPORT = re.compile(
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|localhost|\[[0-9a-fA-F:]+\])(?::\d{1,5}|'?, \d{1,5})"
)
_HEX = re.compile(r"0x[0-9a-fA-F]+|(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}")
_HEX_PART = re.compile(
    r"0x[0-9a-fA-F]+|(?<![0-9a-zA-Z])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,}"
)
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
# The five whole-word tests of _classify_word in one pattern: fullmatch takes the first
# alternative that matches the whole word, as the tests one after the other would.
_WORD_KIND = re.compile(
    "|".join(
        f"(?P<{name}>{rx.pattern})"
        for name, rx in (
            ("keep", _KEEP),
            ("time", _TIME),
            ("uuid", _UUID),
            ("hostport", _HOSTPORT),
            ("hex", _HEX),
        )
    )
)
_PLACEHOLDER = {"time": "<time>", "uuid": "<uuid>", "hostport": "<host>:<port>", "hex": "<hex>"}
_MESSAGE_LIMIT = 240
_KEPT_END = 80  # characters of a long message's end kept in its signature
# pytest's rewritten assertion, "assert 'xxx' == 'ünï'": a parametrised test fails with its
# parameter's value in the message, once per value. The string literals compared are data, not
# the cause (numbers become <n> anyway); elsewhere a quoted name says what went wrong
# ("unexpected keyword argument 'expires_in_seconds'") and stays.
_ASSERTION = ("assert ", "AssertionError: assert ")
_STRING_LITERAL = re.compile(r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"')


def _classify(match: re.Match[str]) -> str:
    whole = match.group(0)
    text = whole.rstrip(".:")  # "127.0.0.1:4242:" ends a clause; keep the punctuation
    if not text:
        return whole
    return _classify_word(text) + whole[len(text) :]


@lru_cache(maxsize=8192)  # the same words (codes, hosts, counters) recur across failures
def _classify_word(text: str) -> str:
    first = text[0]
    if first in "/\\" or (len(text) > 2 and text[1] == ":" and text[2] == "\\"):
        return "<tmp>"
    if first == "e" and text.startswith("eyJ"):
        return "<token>"
    if text.isdecimal():
        # What _classify_other makes of a number: only a close code stays (\d is any decimal
        # digit, which is what isdecimal() tests).
        return text if _KEEP.fullmatch(text) else "<n>"
    return _classify_other(text)


def _classify_other(text: str) -> str:
    kind = _WORD_KIND.fullmatch(text)
    if kind is not None:
        if kind.lastgroup == "hostport" and ", " in text:
            # Python's address tuple, "('127.0.0.1', 8000)": keep its shape, so the message
            # still reads as the exception printed it.
            return "<host>', <port>" if "'" in text else "<host>, <port>"
        return text if kind.lastgroup == "keep" else _PLACEHOLDER[kind.lastgroup or ""]
    # A word with digits inside (user-1234, run_42, t-4f2a9c, 3.5s): replace each id-like part,
    # keep the rest; close codes stay (1008 vs 1011 is the whole story).
    text = _HEX_PART.sub("<hex>", _UUID.sub("<uuid>", text))
    # Only a number 1000-1015 is kept, and it holds "10": without one, no number needs a look.
    return _DIGITS.sub(_number, text) if "10" in text else _DIGITS.sub("<n>", text)


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if _KEEP.fullmatch(text) else "<n>"


def normalise_message(message: str) -> str:
    """The message with run-specific parts replaced by placeholders (``<n>``, ``<uuid>``, …)."""
    text = message[: _MESSAGE_LIMIT * 2]
    if "eyJ" in text or "ZXlK" in text:
        # A token glued to other word characters ("_eyJ…", "token=eyJ…") is no word of its own
        # for _CANDIDATE, whose digit rule would mangle it past what scrubbing recognises.
        text = JWT_PATTERN.sub("<token>", text)
    for secret in _secrets:  # (as tokens: "<n>" for its digits would leave the rest readable)
        if secret in text:
            text = text.replace(secret, "<secret>")
    text = hide_assigned_secrets(text)
    if text.startswith(_ASSERTION):
        text = _STRING_LITERAL.sub("'<str>'", text)
    text = " ".join(_CANDIDATE.sub(_classify, text).split())
    if len(text) <= _MESSAGE_LIMIT:
        return text
    # Cut with a mark (a reader must not take part of a long message for all of it), keeping
    # its end too: what tells two long messages apart is often there, after a preamble they
    # share ("connection closed 1008 …: policy violation. This service uses it for: … Last
    # frames: … iss is 'netra-test'" against "… no credentials"), and the head alone made them
    # one cause.
    return f"{text[: _MESSAGE_LIMIT - _KEPT_END - 3]} … {text[-_KEPT_END:]}"


# Failures of one cause often repeat the very same message.
_normalise_body = lru_cache(maxsize=16384)(normalise_message)

# The values of secret-named environment variables, replaced in messages like tokens. Read at
# import (a spawned helper has the same environment) and again by ``use_environment_secrets``
# when a triage starts (a forked helper inherits what it read).
_secrets: tuple[str, ...] = environment_secrets()


def use_environment_secrets() -> None:
    """Read the secret-named environment variables again (a triage calls this first)."""
    global _secrets
    found = environment_secrets()
    if found != _secrets:
        _secrets = found
        _normalise_body.cache_clear()


# "TypeError: ...", "websockets.exceptions.InvalidStatus: ...", "AssertionError [ERR_X]: ...",
# "Error: ...": a dotted name whose last part is capitalised, then a colon.
_TYPE_PREFIX = re.compile(r"^(?P<type>(?:[A-Za-z_][\w$]*\.)*[A-Z][\w$]*)(?: \[[A-Z_]+\])?: ")
_WRAPPED = re.compile(r'^failed on (?:setup|teardown) with "(?P<inner>.*)"$', re.S)
_GENERIC_TYPES = frozenset({"", "testCodeFailure", "hookFailed", "Failed", "failure", "error"})
_E_LINE = re.compile(
    r"^E +(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Warning|[A-Z]\w+))(?:: |$)", re.M
)


_CRASH_LINE = re.compile(r"^[^\s:]+\.py:\d+: (?P<type>[A-Za-z_][\w.]*)$")
_BARE_TYPE = re.compile(r"[A-Za-z_][\w.]*(?:Error|Exception|Timeout|Interrupt|Exit)")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def exception_type(problem: Problem) -> str:
    """The exception class named by the report (``type`` attribute, message prefix, ``E`` line)."""
    declared = problem.type.strip()
    if declared and declared not in _GENERIC_TYPES and " " not in declared:
        return declared.removeprefix("builtins.")
    message = _unwrap(problem.message)
    match = _TYPE_PREFIX.match(message)
    if match:
        return match.group("type")
    bare = message.strip()
    if _BARE_TYPE.fullmatch(bare):  # "TimeoutError": an exception raised without a message
        return bare
    text = problem.text
    crash = _CRASH_LINE.match(text[-512:].rstrip().rpartition("\n")[2])
    if crash is not None:
        # pytest's long format ends with "test_x.py:8: AssertionError": the exception the test
        # ended with. An "E" line above may be a chained one's ("During handling of the above
        # exception, another exception occurred"), the last one's "E assert False" no type.
        return crash.group("type")
    found = _last_match(_E_LINE, text[-4096:])
    if found is not None:
        return found.group("type")
    cause = _NODE_CAUSE.search(text[:8192])  # node: "cause: TypeError [Error]: ..."
    if cause is not None:
        return cause.group("type")
    match = _TYPE_PREFIX.match(_first_line(text))  # jest/node: the stack starts "Error: ..."
    if match:
        return match.group("type")
    if problem.kind is ProblemKind.ERROR and problem.message == "collection failure":
        return "CollectionError"
    return "AssertionError" if "assert" in message.lower() else ""


def _last_match(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = deque(pattern.finditer(text), maxlen=1)
    return last[0] if last else None


def _unwrap(message: str) -> str:
    match = _WRAPPED.match(message)
    return match.group("inner") if match else message


def message_body(problem: Problem, etype: str) -> str:
    """The human part of the message: first line, without pytest's wrapper and the type prefix."""
    message = _unwrap(problem.message)
    if not message or message in ("collection failure", "Failed") or message.startswith("=== RUN"):
        # Collection errors and gotestsum keep the real message in the body.
        message = _last_error_line(problem.text) or message
    line = _first_line(message)
    if etype and line == etype:
        return ""
    if etype and line.startswith(etype):
        line = line[len(etype) :].lstrip(" :")
    elif ": " in line and _TYPE_PREFIX.match(line):
        line = line.split(": ", 1)[1]
    return line


_GO_LINE = re.compile(r"^\s+[\w./-]+\.go:\d+: (?P<msg>.+)$", re.M)
_NODE_CAUSE = re.compile(r"^\s*cause: (?P<type>[A-Za-z_][\w.]*)(?: \[\w+\])?: ", re.M)


def _last_error_line(text: str) -> str:
    go = _GO_LINE.search(text[:4096])  # gotestsum: "    x_test.go:13: message"
    if go is not None:
        return go.group("msg").strip()
    tail = text[-4096:]
    found = _last_match(_E_LINE, tail)
    if found is not None:
        end = tail.find("\n", found.start())
        return tail[found.start() : end if end >= 0 else None].removeprefix("E").strip()
    # JUnit bodies from jest, node and Surefire start with the error line.
    for line in text[:4096].splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("●", "=== RUN", "--- FAIL", "--- SKIP")):
            return stripped
    return ""


_GENERIC_MESSAGES = frozenset(
    {
        "",
        "assert False",
        "assert None",
        "Failed",
        "failed",
        "assert <n> == <n>",
        "Error",
        # an empty value asserted on ("assert r.events" of a run that got none): what was
        # empty is in the test's line, not in the message
        "assert ()",
        "assert []",
        "assert {}",
        "assert set()",
        "assert '<str>'",
        "assert <n>",
    }
)


# jest's matcher hint, the first line of every expect() failure ("expect(received).toBe(expected)
# // Object.is equality"): it names the matcher, not what failed, like "assert <n> == <n>".
_JEST_MATCHER = re.compile(
    r"expect\([^)]*\)(?:\.(?:not|resolves|rejects))*\.\w+\([^)]*\)(?: // [\w .]+)?"
)


@dataclass(frozen=True, slots=True)
class Signature:
    """What makes two failures "the same": ``key`` is the grouping key."""

    exc_type: str
    message: str
    frame: str
    raw_message: str = ""

    @property
    def key(self) -> str:
        return f"{self.exc_type}|{self.message}|{self.frame}"

    def describe(self) -> str:
        """Why failures with this signature were grouped, in words."""
        what = self.exc_type or "failure"
        because = f"same {what}"
        if self.message:
            because += f" with message “{self.message}”"
        if self.frame:
            because += f", raised in {self.frame}"
        return because


# new_signatures sets the slots through their descriptors, field by field for all signatures at
# once (C loops), rather than through the frozen dataclass's __init__ (object.__setattr__ per
# field, per signature): the same objects (a test compares them) in a fraction of the time.
_SIGNATURE_FIELDS = ("exc_type", "message", "frame", "raw_message")
assert tuple(f.name for f in fields(Signature)) == _SIGNATURE_FIELDS
_SIGNATURE_SETTERS = tuple(Signature.__dict__[name].__set__ for name in _SIGNATURE_FIELDS)


def new_signatures(rows: Iterable[tuple[str, str, str, str]]) -> list[Signature]:
    """``[Signature(*row) for row in rows]``, faster (for the thousands a child signed)."""
    rows = list(rows)
    out: list[Signature] = list(map(object.__new__, repeat(Signature, len(rows))))
    for setter, column in zip(_SIGNATURE_SETTERS, zip(*rows, strict=True), strict=False):
        deque(map(setter, out, column), maxlen=0)
    return out


def signature_of(case: TestCase) -> Signature | None:
    """The signature of a failing or erroring test (``None`` for one that did not fail)."""
    problem = case.primary
    if problem is None:
        return None
    return problem_signature(problem, case.test_id)


def problem_signature(problem: Problem, test_id: str) -> Signature:
    """The signature of ``problem``, the failure that decided test ``test_id``'s outcome."""
    etype = exception_type(problem)
    body = message_body(problem, etype)
    message = _normalise_body(body)
    frame = innermost_frame(problem.text)
    if not frame and (
        message in _GENERIC_MESSAGES
        or (message.startswith("expect(") and _JEST_MATCHER.fullmatch(message) is not None)
    ):
        frame = innermost_frame(problem.text, include_tests=True) or test_id
    short_type = etype.rsplit(".", 1)[-1] if etype.count(".") > 1 else etype
    return Signature(short_type, message, frame, raw_message=body[:_MESSAGE_LIMIT])
