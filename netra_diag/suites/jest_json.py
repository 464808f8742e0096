"""Read jest's own JSON results (``jest --json --outputFile=results.json``) into a ``SuiteRun``.

Unlike jest-junit's XML, the document keeps a test file that failed to load (a syntax error, a
failed ``require``, a throw at module level, no test in it): its ``testResults`` entry has
``status: "failed"``, no ``assertionResults`` and jest's "● Test suite failed to run" in
``message``. Such a file is one error, as jest's "Test Suites: 1 failed" and jest-junit's suite
error (``reportTestSuiteErrors: true``) count it, its phase "collection". An ``afterAll`` that
throws after the file's tests ran is written the same way beside its tests, and is one error too
(with no phase: the document does not say when it happened). Tests count as jest's "Tests:" line
does: ``pending`` (``test.skip``, not selected by ``test.only``) and ``todo`` as skips.

Test ids are the ones jest-junit writes with its default templates (``classname`` and ``name``
both "{describe titles} {title}", a load failure ``Test suite failed to run`` / the file's path
from jest's ``rootDir``): the ids hold no path, so they stay the same on every machine and for
every ``rootDir``, and the JSON and the jest-junit XML of one run name each test alike (merging
them counts the run once, see ``netra_diag.suites.merge``; a JUnit baseline compares with a JSON
run). The test's file, from ``rootDir`` when it can be told, is its suite (jest calls a test file
a test suite). The document does not hold ``rootDir``; the messages jest writes for a failing file
name it from there, else the results file's folder is taken when every test file is under it.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from math import isfinite
from typing import IO, Any

from netra_diag.errors import ReportParseError
from netra_diag.suites.jest_todos import JEST_TODO
from netra_diag.suites.junit_children import JEST_SUITE_ERROR
from netra_diag.suites.model import CaseRow, Outcome, Problem, ProblemKind, SuiteRun, TestCase
from netra_diag.suites.xmlstream import clip_text

__all__ = [
    "JEST_JSON_FMT",
    "is_jest_json",
    "parse_jest_json",
    "parse_jest_json_data",
    "read_json",
]

JEST_JSON_FMT = "jest-json"
_HEADING = "● " + JEST_SUITE_ERROR
# Colour codes (CSI, OSC) jest writes with --colors or FORCE_COLOR, as strip-ansi removes them.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
# "TypeError: ...", "SyntaxError: /path: ...", "Error: expect(received)...".
_ERROR_NAME = re.compile(r"(?P<type>(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception))(?: \[\w+\])?: ")
_SKIPPED = Problem(
    ProblemKind.SKIPPED,
    message="skipped: test.skip or describe.skip, or not selected (test.only, -t)",
)
# jest's types name every status below; jest-circus writes passed, failed, pending and todo.
# "error" is no jest status: jest-junit with reportTestSuiteErrors on adds an entry so named to a
# file that failed to load, in the results object jest then writes as JSON.
_OUTCOMES = {
    "passed": Outcome.PASSED,
    "focused": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "pending": Outcome.SKIPPED,
    "skipped": Outcome.SKIPPED,
    "disabled": Outcome.SKIPPED,
    "todo": Outcome.SKIPPED,
}
_JUNIT_ERROR = "error"
_TOTALS = (
    "numTotalTests",
    "numPassedTests",
    "numFailedTests",
    "numPendingTests",
    "numTodoTests",
    "numRuntimeErrorTestSuites",
    "numTotalTestSuites",
    "numFailedTestSuites",
)


def read_json(source: str | os.PathLike[str] | IO[bytes] | IO[str], name: str | None) -> Any:
    """The decoded document of a path or stream, and the name errors give it."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            with open(path, "rb") as fh:
                raw: bytes | str = fh.read()
        except OSError as exc:
            raise ReportParseError(path, f"cannot open: {exc.strerror or exc}") from exc
    else:
        stream_name = getattr(source, "name", None)
        path = stream_name if isinstance(stream_name, str) else "<stream>"
        raw = source.read()
    path = name or path
    return decode_json(raw, path), path


def decode_json(raw: bytes | str, path: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ReportParseError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
    except (UnicodeError, RecursionError) as exc:
        raise ReportParseError(path, f"cannot decode JSON: {type(exc).__name__}") from exc


def is_jest_json(data: Any) -> bool:
    """Whether a decoded document is jest's ``--json`` output (by its keys)."""
    return isinstance(data, Mapping) and ("testResults" in data or "numTotalTests" in data)


def parse_jest_json(
    source: str | os.PathLike[str] | IO[bytes] | IO[str], *, name: str | None = None
) -> SuiteRun:
    """Parse a ``jest --json`` file (path or stream). Bad input raises ``ReportParseError``."""
    data, path = read_json(source, name)
    folder = (
        os.path.dirname(os.path.abspath(source)) if isinstance(source, str | os.PathLike) else None
    )
    return parse_jest_json_data(data, path=path, results_dir=folder)


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


class _Doc:
    """Typed access to the document, each wrong type a ``ReportParseError`` naming its place."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, said: str) -> ReportParseError:
        return ReportParseError(self.path, f"{where}: {said}")

    def get(
        self, obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str
    ) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.fail(f"{where}.{key}", f"is {type(value).__name__}, expected {names}")
        return value

    def strings(self, obj: Mapping[str, Any], key: str, where: str) -> list[str]:
        items = self.get(obj, key, list, where) or []
        for k, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{where}.{key}[{k}]", f"is {type(item).__name__}, expected str")
        return items


def parse_jest_json_data(
    data: Any, *, path: str = "<json>", results_dir: str | None = None
) -> SuiteRun:
    """Build a ``SuiteRun`` from a decoded ``jest --json`` document. ``results_dir``: the folder
    of the results file, taken as jest's ``rootDir`` when nothing else tells it."""
    doc = _Doc(path)
    if not isinstance(data, Mapping):
        raise ReportParseError(path, f"not a jest --json document: a JSON {type(data).__name__}")
    files = doc.get(data, "testResults", list, "$")
    if files is None:
        raise ReportParseError(path, "not a jest --json document: no 'testResults' list")
    totals = {key: n for key in _TOTALS if (n := doc.get(data, key, int, "$")) is not None}
    entries = []
    for i, entry in enumerate(files):
        where = f"$.testResults[{i}]"
        if not isinstance(entry, Mapping):
            raise doc.fail(where, f"is {type(entry).__name__}, expected an object")
        name = doc.get(entry, "name", str, where)
        if not name:
            raise doc.fail(where, "has no 'name' (the test file's path)")
        message = strip_ansi(doc.get(entry, "message", str, where) or "")
        status = doc.get(entry, "status", str, where) or ""
        tests = doc.get(entry, "assertionResults", list, where) or []
        entries.append((where, name, message, status, tests))
    root = _root_dir([(name, message) for _, name, message, _, _ in entries], results_dir)
    build = _Builder(doc)
    for where, name, message, status, tests in entries:
        build.file(where, _relative(name, root), message, status, tests)
    warnings = _check_totals(build.tally, totals, path)
    interrupted = ""
    if doc.get(data, "wasInterrupted", bool, "$"):
        interrupted = (
            "jest was interrupted (Ctrl-C or a signal): the test files after that have no result"
        )
        warnings.append(f"{path}: {interrupted}")
    return SuiteRun(
        rows=tuple(build.rows),
        details=build.details,
        sources=(path,),
        fmt=JEST_JSON_FMT,
        declared=totals,
        warnings=tuple(warnings),
        interrupted=interrupted,
    )


class _Builder:
    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.rows: list[CaseRow] = []
        self.details: dict[str, TestCase] = {}
        self.ids: set[str] = set()
        self.tally: Counter[str] = Counter()

    def _unique(self, test_id: str) -> str:
        # The same titles twice (in one file or two): still two tests, named as the JUnit
        # reader names jest-junit's repeated testcases
        if test_id not in self.ids:
            return test_id
        n = 2
        while f"{test_id} #{n}" in self.ids:
            n += 1
        return f"{test_id} #{n}"

    def _add(self, case: TestCase, detailed: bool) -> None:
        self.ids.add(case.test_id)
        self.rows.append(
            CaseRow(
                case.test_id,
                case.name,
                case.classname,
                case.suite,
                case.outcome,
                case.duration,
                case.file,
                case.line,
            )
        )
        if detailed:
            self.details[case.test_id] = case

    def file(self, where: str, rel: str, message: str, status: str, tests: Sequence[Any]) -> None:
        doc = self.doc
        ran = 0
        failing = False
        for j, test in enumerate(tests):
            at = f"{where}.assertionResults[{j}]"
            if not isinstance(test, Mapping):
                raise doc.fail(at, f"is {type(test).__name__}, expected an object")
            said = doc.get(test, "status", str, at)
            messages = [strip_ansi(m) for m in doc.strings(test, "failureMessages", at)]
            if said == _JUNIT_ERROR:
                message = message or "\n".join(messages)
                continue
            outcome = _OUTCOMES.get(said or "")
            if outcome is None:
                raise doc.fail(f"{at}.status", f"unknown test status {said!r}")
            title = doc.get(test, "title", str, at)
            if title is None:
                raise doc.fail(at, "has no 'title'")
            classname = " ".join(doc.strings(test, "ancestorTitles", at))
            # jest-junit's default "{classname} {title}", for classname and name alike
            full = f"{classname} {title}"
            ran += 1
            failing = failing or outcome is Outcome.FAILED
            problems: tuple[Problem, ...] = ()
            if outcome is Outcome.FAILED:
                problems = (_failure(messages),)
            elif outcome is Outcome.SKIPPED:
                problems = (JEST_TODO if said == "todo" else _SKIPPED,)
            self.tally[said or ""] += 1
            case = TestCase(
                test_id=self._unique(f"{full}::{full}"),
                name=full,
                classname=full,
                suite=rel,
                outcome=outcome,
                duration=_seconds(doc.get(test, "duration", (int, float), at)),
                file=rel,
                line=_line(test.get("location")),
                problems=problems,
            )
            self._add(case, bool(problems))
        heading = message.find(_HEADING)
        if heading < 0 and not (status == "failed" and not failing):
            return
        # jest's "Test suite failed to run": the file did not load (no test ran), or an
        # afterAll or a late error failed it after its tests (testExecError, not written)
        text = message[message.rfind("\n", 0, heading) + 1 :] if heading >= 0 else message
        self.tally["runtime error"] += 1
        line = _error_line(text) or f"{JEST_SUITE_ERROR} (jest wrote no message)"
        error = Problem(
            ProblemKind.ERROR,
            type=_type_of(line),
            message=clip_text(line, 4096),
            text=clip_text(text.rstrip()),
            phase="" if ran else "collection",
        )
        case = TestCase(
            test_id=self._unique(f"{JEST_SUITE_ERROR}::{rel}"),
            name=rel,
            classname=JEST_SUITE_ERROR,
            suite=rel,
            outcome=Outcome.ERROR,
            file=rel,
            problems=(error,),
        )
        self._add(case, True)


def _failure(messages: Sequence[str]) -> Problem:
    text = "\n\n".join(messages).strip("\n")
    line = _error_line(text) or "failed (jest wrote no message)"
    return Problem(
        ProblemKind.FAILURE,
        type=_type_of(line),
        message=clip_text(line, 4096),
        text=clip_text(text),
    )


def _error_line(text: str) -> str:
    """The line that says what went wrong: the first after jest's "●" heading."""
    for line in text[:8192].splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("●"):
            return stripped
    return ""


def _type_of(line: str) -> str:
    match = _ERROR_NAME.match(line)
    return match.group("type") if match else ""


def _seconds(ms: float | None) -> float | None:
    if ms is None or not isfinite(ms) or ms < 0:
        return None
    return ms / 1000


def _line(location: Any) -> int | None:
    # (written with --testLocationInResults only)
    if isinstance(location, Mapping):
        line = location.get("line")
        if isinstance(line, int) and not isinstance(line, bool) and line > 0:
            return line
    return None


def _root_dir(files: Sequence[tuple[str, str]], results_dir: str | None) -> str | None:
    """jest's ``rootDir``, ending in its separator: where the paths jest writes in a failing
    file's message ("at f (__tests__/a.test.js:4:11)", "from '__tests__/a.test.js'") start; else
    ``results_dir`` when every test file is under it; else None."""
    for name, message in files:
        if not message:
            continue
        for k, char in enumerate(name):
            if char not in "/\\" or k == 0:
                continue
            suffix = name[k + 1 :]
            if suffix and suffix in message and _names(message, suffix):
                return name[: k + 1]
    if results_dir and files:
        for sep in ("/", "\\"):
            prefix = results_dir.rstrip(sep) + sep
            if all(name.startswith(prefix) for name, _ in files):
                return prefix
    return None


def _names(message: str, suffix: str) -> bool:
    """Whether ``message`` names ``suffix`` as a whole path (not the tail of a longer one)."""
    return re.search(rf"(?<![\w.\\/-]){re.escape(suffix)}(?=[:'\"\s)])", message) is not None


def _relative(name: str, root: str | None) -> str:
    if root and name.startswith(root) and len(name) > len(root):
        return name[len(root) :]
    return name


def _check_totals(tally: Counter[str], totals: Mapping[str, int], path: str) -> list[str]:
    """Warnings where jest's own totals and the per-test results disagree."""
    ours = {
        "numPassedTests": tally["passed"] + tally["focused"],
        "numFailedTests": tally["failed"],
        "numPendingTests": tally["pending"] + tally["skipped"] + tally["disabled"],
        "numTodoTests": tally["todo"],
        "numRuntimeErrorTestSuites": tally["runtime error"],
    }
    ours["numTotalTests"] = sum(ours.values()) - ours["numRuntimeErrorTestSuites"]
    off = [
        f"{key} {totals[key]} (the results hold {ours[key]})"
        for key in ours
        if key in totals and totals[key] != ours[key]
    ]
    if not off:
        return []
    return [f"{path}: jest's totals differ from its per-test results: {', '.join(off)}"]
