"""What a jest-junit report says beyond its testcases, once the whole file is read: which of its
passes are ``test.todo`` (``netra_diag.suites.jest_todos``), and what a report with no suite at
all means.

jest-junit (17.0.0, ``utils/buildJsonResults.js``) leaves out a test file whose results are empty
(one that failed to load: a syntax error, a failed ``require``, a throw at module level, no test
in it) unless ``reportTestSuiteErrors`` is on, and sums the root ``<testsuites>`` totals
(``tests``, ``failures``, ``errors``) over the suites it does write. Such a test file leaves no
trace: with other files next to it, the report is the one a run without it would have written
(jest's "Test Suites: N failed" and its exit code 1 are nowhere in it), so nothing here can count
it. A report with no suite at all is the one case that shows: jest found no test file to run, or
every one failed to load, and jest exits 1 in both (unless ``--passWithNoTests``).

A test file whose tests ran but that failed after them (an ``afterAll`` that threw) gets a
testcase titled ``JEST_EXEC_FAILURE`` whose ``<failure>`` is jest's error as JSON
(``{"message":"","stack":"Error: …"}``), left out of every count the file declares. It is no
failing test (jest's "Tests:" line leaves it out, its "Test Suites:" line counts the file failed):
it is read as an error with the error's own message, as ``jest --json`` of the same run is read.
A test that a ``beforeAll`` failed has phase "setup", as there (``jest_json_fail.hook_phase``).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from netra_diag.suites.jest_json_fail import hook_phase
from netra_diag.suites.jest_todos import JEST_EXEC_FAILURE, JEST_ROOT, JEST_TODO, jest_todos
from netra_diag.suites.junit_children import JEST_SUITE_ERROR, NO_EXTRA
from netra_diag.suites.model import Outcome, Problem, ProblemKind
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.junit_cases import CaseCollector

__all__ = [
    "JEST_ROOT",
    "jest_report",
    "json_answers",
    "no_suite_warning",
    "repeated_warning",
    "unnamed_warning",
]


def no_suite_warning(path: str) -> str:
    """The warning for a jest-junit report that holds no ``<testsuite>``."""
    return (
        f"{path}: the jest-junit report holds no suite: jest found no test file to run, or every "
        "test file failed to load (jest exits 1 in both, unless --passWithNoTests); with "
        "jest-junit's reportTestSuiteErrors off (its default) the file does not say which: turn "
        "it on (reporter option reportTestSuiteErrors: true, or "
        "JEST_JUNIT_REPORT_TEST_SUITE_ERRORS=true) so that a test file that fails to load is "
        "written as a failing testcase"
    )


# jest-junit's default suiteNameTemplate "{title}" is the first describe title of the file's first
# test: a file whose first test is outside any describe is a suite named so.
_UNNAMED = "undefined"


def unnamed_warning(path: str) -> str:
    """The warning for a jest-junit report with suites named ``undefined``."""
    return (
        f"{path}: suite 'undefined' is every test file whose first test is outside any describe "
        "(jest-junit names a file's suite after its first describe title): its tests are counted "
        'as one suite; set jest-junit\'s suiteNameTemplate to "{filepath}" (or '
        "usePathForSuiteName: true) to see each file apart, or triage the run's jest --json"
    )


_REPEATED = "tests share titles"


def repeated_warning(path: str, repeats: int) -> str:
    """The warning for a jest-junit report whose tests are told apart by "#2" (their order)."""
    return (
        f"{path}: {_REPEATED} ({plural(repeats, 'test')} told apart from another by the "
        "order of the report, '#2'): "
        "jest-junit names no file, and jest runs the files in its own order (failed and slow "
        "ones first), so when those titles are in different files which test is which can "
        "change from run to run, and against a baseline read as a new failure and a fix; set "
        'jest-junit\'s classNameTemplate to "{filepath}" (ids then hold the file; '
        '"{displayName} {filepath}" with jest projects), or triage the run\'s jest --json'
    )


def json_answers(warning: str) -> bool:
    """Whether ``warning`` is one that the run's jest --json, given beside, answers."""
    return _REPEATED in warning or ": suite 'undefined' is every test file" in warning


def jest_report(collector: CaseCollector) -> None:
    """Finish a jest-junit report's collector (its root is ``<testsuites name="jest tests">``):
    its todo passes become skips, as jest counts them; a failure after a file's tests an error;
    a report with no suite gets a warning."""
    if collector.suite_tests:
        _exec_failures(collector)
        _hook_failures(collector)
        _mark_todos(collector)
        if _UNNAMED in collector.suite_tests:
            collector.warnings.append(unnamed_warning(collector.path))
        repeats = sum(
            1
            for row in collector.rows
            if row.test_id != (plain := f"{row.classname}::{row.name}")
            and _AGAIN.fullmatch(row.test_id, len(plain))
        )
        if repeats:
            collector.warnings.append(repeated_warning(collector.path, repeats))
    elif not collector.rows:
        collector.warnings.append(no_suite_warning(collector.path))


def _mark_todos(c: CaseCollector) -> None:
    todos, warnings = jest_todos(c.rows, c.pending, c.suite_tests, c.path, JEST_SUITE_ERROR)
    c.warnings += warnings
    if not todos:
        return
    extra = NO_EXTRA._replace(problems=(JEST_TODO,))
    for index in todos:
        c.rows[index] = row = c.rows[index]._replace(outcome=Outcome.SKIPPED)
        c.columns.outcomes[index] = row.outcome  # type: ignore[index]
        c.pending[index] = extra
    c.pending = dict(sorted(c.pending.items()))  # details keep report order


# The JUnit reader's " #2" after a test id written again.
_AGAIN = re.compile(r" #\d+")
# "TypeError: …", "Error: …" at the head of the stack.
_TYPE = re.compile(r"(?P<type>(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception))(?: \[\w+\])?: ")


def _exec_failures(c: CaseCollector) -> None:
    """jest-junit's testcase for a file that failed after its tests ran becomes an error."""
    for index, row in enumerate(c.rows):
        if JEST_EXEC_FAILURE not in row.name or row.outcome is not Outcome.FAILED:
            continue
        extra = c.pending.get(index)
        if extra is None or not extra.problems:
            continue
        error = _exec_error(extra.problems[0])
        c.rows[index] = row = row._replace(outcome=Outcome.ERROR)
        c.columns.outcomes[index] = row.outcome  # type: ignore[index]
        c.pending[index] = extra._replace(counted_as=(), problems=(error,))


def _hook_failures(c: CaseCollector) -> None:
    """A test failed by its describe's ``beforeAll``: phase "setup", as in jest --json."""
    for index, extra in c.pending.items():
        if c.rows[index].outcome is not Outcome.FAILED:
            continue
        problems = tuple(
            replace(p, phase=hook_phase(p.text)) if p.kind is ProblemKind.FAILURE else p
            for p in extra.problems
        )
        if problems != extra.problems:
            c.pending[index] = extra._replace(problems=problems)


def _exec_error(failure: Problem) -> Problem:
    """The error jest-junit wrote as JSON (``JSON.stringify(testExecError)``), read out."""
    text = failure.text
    try:
        said = json.loads(text)
    except (ValueError, RecursionError):
        said = None
    if isinstance(said, dict):
        stack = said.get("stack")
        message = said.get("message")
        text = stack if isinstance(stack, str) and stack else text
        first = text.strip().split("\n", 1)[0].strip()
        line = message if isinstance(message, str) and message else first
    else:
        line = failure.message or text.strip().split("\n", 1)[0].strip()
    found = _TYPE.match(line) or _TYPE.match(text.strip())
    return Problem(
        ProblemKind.ERROR,
        type=found.group("type") if found else "",
        message=line[:4096],
        text=text,
        phase="",  # (after the tests, as the JSON reader says of it: not at collection)
    )
