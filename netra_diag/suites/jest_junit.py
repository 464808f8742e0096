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
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netra_diag.suites.jest_todos import JEST_ROOT, JEST_TODO, jest_todos
from netra_diag.suites.junit_children import JEST_SUITE_ERROR, NO_EXTRA
from netra_diag.suites.model import Outcome

if TYPE_CHECKING:
    from netra_diag.suites.junit_cases import CaseCollector

__all__ = ["JEST_ROOT", "jest_report", "no_suite_warning"]


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


def jest_report(collector: CaseCollector) -> None:
    """Finish a jest-junit report's collector (its root is ``<testsuites name="jest tests">``):
    its todo passes become skips, as jest counts them; a report with no suite gets a warning."""
    if collector.suite_tests:
        _mark_todos(collector)
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
