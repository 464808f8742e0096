"""Read jest's own JSON results (``jest --json --outputFile=results.json``) into a ``SuiteRun``.

Unlike jest-junit's XML, the document keeps a test file that failed to load (a syntax error, a
failed ``require``, a throw at module level, no test in it): its ``testResults`` entry has
``status: "failed"``, no ``assertionResults`` and jest's "● Test suite failed to run" in
``message``. Such a file is one error, as jest's "Test Suites: 1 failed" and jest-junit's suite
error (``reportTestSuiteErrors: true``) count it, its phase "collection". An ``afterAll`` that
throws after the file's tests ran is written the same way beside its tests, and is one error too
(with no phase: the document does not say when it happened). Tests count as jest's "Tests:" line
does: ``pending`` (``test.skip``, not selected by ``test.only``) and ``todo`` as skips. Under
``jest.retryTimes`` the failed attempts before a test's last (``retryReasons``) are its reruns,
so that a pass after them reads as a pass on retry (``netra_diag.suites.jest_json_fail``).

Test ids are the ones jest-junit writes with its default templates (``classname`` and ``name``
both "{describe titles} {title}", a load failure ``Test suite failed to run`` / the file's path
from jest's ``rootDir``): the ids hold no path, so they stay the same on every machine and for
every ``rootDir``, and the JSON and the jest-junit XML of one run name each test alike (merging
them counts the run once, see ``netra_diag.suites.merge``; a JUnit baseline's tests compare with
a JSON run's), but for a title that more than one test file holds: each of those is told by its
file, "… [{file}]" (jest runs files in its own order, failed and slow ones first, so a "#2" after
the title, as jest-junit's testcases are told apart, would change tests from run to run). The
test's file, from ``rootDir`` when it can be told, is its suite (jest calls a test file a test
suite). The document does not hold ``rootDir``; the messages jest writes for a
failing file name it from there, else the results file's folder is taken when every test file is
under it.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from math import isfinite
from typing import IO, Any

from netra_diag.errors import ReportParseError
from netra_diag.suites.jest_json_doc import (
    JEST_JSON_FMT,
    JsonDoc,
    relative_to,
    root_dir,
    strip_ansi,
)
from netra_diag.suites.jest_json_fail import error_line, failure, retries, type_of
from netra_diag.suites.jest_json_projects import repeated_files
from netra_diag.suites.jest_json_shards import clash_titles, renamed_rows
from netra_diag.suites.jest_json_snapshots import run_warnings
from netra_diag.suites.jest_todos import JEST_TODO
from netra_diag.suites.json_file import read_json
from netra_diag.suites.junit_children import JEST_SUITE_ERROR
from netra_diag.suites.model import (
    CaseRow,
    Outcome,
    Problem,
    ProblemKind,
    SuiteRun,
    TestCase,
    row_of,
)
from netra_diag.suites.run_order import start_from_epoch
from netra_diag.suites.xmlstream import clip_text

__all__ = [
    "JEST_JSON_FMT",
    "is_jest_json",
    "parse_jest_json",
    "parse_jest_json_data",
]

_HEADING = "● " + JEST_SUITE_ERROR
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


def parse_jest_json_data(
    data: Any, *, path: str = "<json>", results_dir: str | None = None
) -> SuiteRun:
    """Build a ``SuiteRun`` from a decoded ``jest --json`` document. ``results_dir``: the folder
    of the results file, taken as jest's ``rootDir`` when nothing else tells it."""
    doc = JsonDoc(path)
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
    root = root_dir([(name, message) for _, name, message, _, _ in entries], results_dir)
    build = _Builder(doc)
    for where, name, message, status, tests in entries:
        build.file(where, (name, relative_to(name, root)), message, status, tests)
    rows, details = tuple(build.rows), build.details
    if build.repeated and (clash := clash_titles(rows)):
        rows, details = renamed_rows(rows, details, clash) or (rows, details)
    warnings = _check_totals(build.tally, totals, path)
    failing = bool(build.tally["failed"] or build.tally["runtime error"])
    warnings += run_warnings(data, path, failing)
    warnings += repeated_files([name for _, name, _, _, _ in entries], path)
    if not entries and data.get("wasInterrupted") is not True:
        # (jest writes success: true then, and exits 1 unless --passWithNoTests)
        warnings.append(
            f"{path}: jest ran no test file: it found none to run (jest exits 1 then, unless "
            "--passWithNoTests; the JSON does not say which)"
        )
    interrupted = ""
    if doc.get(data, "wasInterrupted", bool, "$"):
        interrupted = (
            "jest says it was interrupted (wasInterrupted): test files it had not finished have no "
            "result"
        )
        warnings.append(f"{path}: {interrupted}")
    started = data.get("startTime")  # (milliseconds since the epoch)
    return SuiteRun(
        rows=rows,
        details=details,
        sources=(path,),
        fmt=JEST_JSON_FMT,
        declared=totals,
        warnings=tuple(warnings),
        interrupted=interrupted,
        started=start_from_epoch(started / 1000)
        if isinstance(started, int | float) and not isinstance(started, bool)
        else "",
    )


class _Builder:
    def __init__(self, doc: JsonDoc) -> None:
        self.doc = doc
        self.repeated = False  # a title written again (in this file or another)
        self.rows: list[CaseRow] = []
        self.details: dict[str, TestCase] = {}
        self.ids: set[str] = set()
        self.tally: Counter[str] = Counter()

    def _unique(self, test_id: str) -> str:
        # The same titles twice in one file: still two tests, named as the JUnit reader names
        # jest-junit's repeated testcases (in one file, their order is the file's)
        if test_id not in self.ids:
            return test_id
        self.repeated = True
        n = 2
        while f"{test_id} #{n}" in self.ids:
            n += 1
        return f"{test_id} #{n}"

    def _add(self, row: CaseRow, case: TestCase | None) -> None:
        self.ids.add(row.test_id)
        self.rows.append(row)
        if case is not None:
            self.details[row.test_id] = case

    def _checked(self, test: Any, at: str) -> _Fields:
        """A test's fields, each of the right type (else a ``ReportParseError`` naming it)."""
        doc = self.doc
        if not isinstance(test, Mapping):
            raise doc.fail(at, f"is {type(test).__name__}, expected an object")
        return (
            doc.get(test, "status", str, at),
            doc.get(test, "title", str, at),
            " ".join(doc.strings(test, "ancestorTitles", at)),
            doc.get(test, "duration", (int, float), at),
            doc.strings(test, "failureMessages", at),
        )

    def file(
        self,
        where: str,
        paths: tuple[str, str],
        message: str,
        status: str,
        tests: Sequence[Any],
    ) -> None:
        """Add one test file's tests; ``paths``: the file's as jest wrote it, and from rootDir."""
        rel = paths[1]
        doc = self.doc
        ran = 0
        failing = False
        for j, test in enumerate(tests):
            fields = _fields(test) if type(test) is dict else None
            if fields is None:  # (a wrong type somewhere: said where, or taken as None)
                fields = self._checked(test, f"{where}.assertionResults[{j}]")
            said, title, classname, ms, messages = fields
            if said == _JUNIT_ERROR:
                message = message or "\n".join(map(strip_ansi, messages))
                continue
            outcome = _OUTCOMES.get(said or "")
            if outcome is None:
                at = f"{where}.assertionResults[{j}].status"
                raise doc.fail(at, f"unknown test status {said!r}")
            if title is None:
                raise doc.fail(f"{where}.assertionResults[{j}]", "has no 'title'")
            # jest-junit's default "{classname} {title}", for classname and name alike
            full = f"{classname} {title}"
            ran += 1
            self.tally[said or ""] += 1
            duration = _seconds(ms)
            line = _line(test.get("location"))
            test_id = self._unique(f"{full}::{full}")
            row = CaseRow(test_id, full, full, rel, outcome, duration, rel, line)
            # (jest writes invocations 1 and no retryReasons for nearly every test: no call)
            again = type(test) is dict and (
                test.get("retryReasons") or test.get("invocations", 1) != 1
            )
            reruns = retries(test, outcome, f"{where}.assertionResults[{j}]", doc) if again else ()
            if outcome is Outcome.PASSED and not reruns:
                self._add(row, None)
                continue
            if outcome is Outcome.FAILED:
                failing = True
                problem = failure([strip_ansi(m) for m in messages])
                if line is None:
                    line = _line_in(problem.text, paths)
                    row = row._replace(line=line)
            elif outcome is Outcome.PASSED:
                problem = None
            else:
                problem = JEST_TODO if said == "todo" else _SKIPPED
            case = TestCase(
                test_id=test_id,
                name=full,
                classname=full,
                suite=rel,
                outcome=outcome,
                duration=duration,
                file=rel,
                line=line,
                problems=() if problem is None else (problem,),
                reruns=reruns,
            )
            self._add(row, case)
        heading = message.find(_HEADING)
        if heading < 0 and not (status == "failed" and not failing):
            return
        # jest's "Test suite failed to run": the file did not load (no test ran), or an
        # afterAll or a late error failed it after its tests (testExecError, not written)
        text = message[message.rfind("\n", 0, heading) + 1 :] if heading >= 0 else message
        self.tally["runtime error"] += 1
        said = error_line(text) or f"{JEST_SUITE_ERROR} (jest wrote no message)"
        error = Problem(
            ProblemKind.ERROR,
            type=type_of(said),
            message=clip_text(said, 4096),
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
            line=_line_in(error.text, paths),
            problems=(error,),
        )
        self._add(row_of(case), case)


# A test's status, title, describe titles (joined), duration in ms and failure messages.
_Fields = tuple[str | None, str | None, str, float | None, Sequence[str]]


def _fields(test: dict[str, Any]) -> _Fields | None:
    """``_Builder._checked`` for a test whose fields all have their usual types (nearly every
    test: the check costs a fraction of it), else None."""
    said, title = test.get("status"), test.get("title")
    if type(said) is not str or type(title) is not str:
        return None
    titles = test.get("ancestorTitles")
    if titles is None:
        classname = ""
    elif type(titles) is list and all(type(t) is str for t in titles):
        classname = " ".join(titles)
    else:
        return None
    ms = test.get("duration")
    if ms is not None and type(ms) is not int and type(ms) is not float:
        return None
    messages = test.get("failureMessages")
    if messages is None:
        messages = ()
    elif type(messages) is not list or not all(type(m) is str for m in messages):
        return None
    return said, title, classname, ms, messages


_AT_LINE = re.compile(r"(\d+):\d+")


def _line_in(text: str, paths: tuple[str, str]) -> int | None:
    """The line of the first stack frame in the test file (V8 writes the innermost first: where
    in the file the error was thrown), for annotations on it; jest writes the path whole in a
    test's failure, from rootDir in a file's message."""
    for path in paths:
        at = text.find(path + ":")
        while at >= 0:
            found = _AT_LINE.match(text, at + len(path) + 1)
            if found is not None:
                return int(found.group(1))
            at = text.find(path + ":", at + 1)
    return None


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
