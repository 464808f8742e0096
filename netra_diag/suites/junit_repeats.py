"""Repeated test ids in a pytest JUnit file: reruns, or separate runs of the same tests.

pytest names each test once per run, so a test id written twice in its JUnit file is read as
attempts of one test (``CaseCollector._retried``): pytest-rerunfailures writes every attempt as
a testcase of its own, the last one deciding. pytest-xdist with ``--dist each`` also repeats ids,
for another reason: every worker runs every test, and pytest counts each run ("1 failed,
5 passed" for three tests on two workers). The file tells the two apart: rerunfailures' earlier
attempts are not counted in the suites' ``tests`` attribute (three tests, two reruns: five
testcases, ``tests="3"``), while each run of ``--dist each`` is (six testcases, ``tests="6"``).
When the declared total equals the testcases read, the attempts are made separate tests again,
so that the counts are pytest's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netra_diag.suites.junit_children import NO_EXTRA, Extra
from netra_diag.suites.model import CaseRow, Outcome, Problem, ProblemKind, primary_of
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.junit_cases import CaseCollector

__all__ = ["fold_attempt", "separate_repeats"]

_EARLIER_ATTEMPT = "failed on an earlier attempt and was run again (pytest-rerunfailures)"


def fold_attempt(c: CaseCollector, test_id: str, row: CaseRow, extra: Extra) -> None:
    """``row`` is the last attempt of a test ``c`` has seen before: it replaces the earlier one,
    which becomes a rerun (``flakyFailure`` when the test passed in the end, as Surefire says).
    What it replaced is kept (``c.attempts``, ``c.own_extra``) for ``separate_repeats``."""
    index = c.row_of(test_id)
    assert index is not None
    old = c.pending.pop(index, NO_EXTRA)
    c.attempts.append((index, c.rows[index], c.own_extra.pop(index, old)))
    c.own_extra[index] = extra
    earlier = primary_of(c.rows[index].outcome, old.problems)
    kind = ProblemKind.FLAKY_FAILURE if row.outcome is Outcome.PASSED else ProblemKind.RERUN_FAILURE
    attempt = Problem(
        kind,
        type=earlier.type if earlier else "",
        message=earlier.message if earlier else _EARLIER_ATTEMPT,
        text=earlier.text if earlier else "",
        phase=earlier.phase if earlier else "",
    )
    c.pending[index] = extra._replace(
        reruns=(*old.reruns, attempt, *extra.reruns),
        stdout=extra.stdout or old.stdout,
        stderr=extra.stderr or old.stderr,
    )
    c.rows[index] = row
    for column, value in zip(c.columns, row, strict=True):
        column[index] = value  # type: ignore[index]


def separate_repeats(c: CaseCollector) -> str:
    """Undo ``c``'s folding of repeated test ids into attempts when the file counts every
    testcase as a test (see the module docstring); a warning saying so, or ``""``."""
    if not c.attempts or not c.suite_tests:
        return ""
    declared = sum(c.suite_tests.values())
    if declared != len(c.rows) + len(c.attempts):
        return ""  # fewer declared than testcases: reruns, as read
    outcomes: dict[int, set[Outcome]] = {}  # each repeated test's row: the outcomes of its runs
    for index, row, _ in c.attempts:
        outcomes.setdefault(index, {c.rows[index].outcome}).add(row.outcome)
    # A test whose runs disagree is the finding here: it depends on the worker, or is flaky.
    mixed = sorted(c.rows[i].test_id for i, seen in outcomes.items() if len(seen) > 1)
    for index, own in c.own_extra.items():
        # the latest attempt keeps the row, with only its own details
        if own is NO_EXTRA:
            c.pending.pop(index, None)
        else:
            c.pending[index] = own
    for _, row, own in c.attempts:
        # (each earlier attempt a test of its own, named as other repeated names are: "#2")
        c.append_row(row._replace(test_id=c.unique_id(row.test_id)), own)
    c.attempts, c.own_extra = [], {}
    differ = ""
    if mixed:
        shown = ", ".join(mixed[:3]) + (f" and {len(mixed) - 3} more" if len(mixed) > 3 else "")
        differ = f"; runs of {plural(len(mixed), 'test')} had different results: {shown}"
    return (
        f"{c.path}: {len(outcomes)} test ids appear more than once, and the file counts every "
        f"testcase as a test ({declared} tests): read as separate runs of those tests, as "
        "pytest counts them (pytest-xdist --dist each runs every test on every worker), not as "
        f"reruns{differ}"
    )
