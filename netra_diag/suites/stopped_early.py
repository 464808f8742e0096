"""A pytest JUnit run that stopped at a failure (``-x``, ``--maxfail``), told by its baseline.

pytest's JUnit report says nothing of the tests ``-x`` left unrun: it holds the tests that ran,
the last one failing, and its counts are theirs. Read alone it looks like a smaller suite; beside
a baseline, the tests after the last one are "removed", and a run that checked a third of the
suite exits 0. pytest-json-report says how many were collected (``pytest_json_run``); for JUnit
the baseline's order is the next best witness: pytest runs tests in collection order, so a run
cut short by a failure is the baseline's tests up to that failure, none after it.

Called only when that is exactly what is seen: the run's last test failed, it ran in the
baseline, and the tests the baseline ran after it, and only those, are missing. Tests removed
from the end of a suite whose last remaining test fails look the same: the wording says "seems".
"""

from __future__ import annotations

from dataclasses import replace

from netra_diag.suites.model import FAILING, SuiteRun
from netra_diag.wording import plural

__all__ = ["stopped_at_a_failure"]


def stopped_at_a_failure(current: SuiteRun, baseline: SuiteRun) -> SuiteRun:
    """``current``, with ``interrupted`` saying it stopped at a failure when its baseline shows
    that (see the module docstring); else ``current`` itself."""
    if current.interrupted or current.fmt != "junit-pytest" or not current.rows:
        return current
    last = current.rows[-1]
    if last.outcome not in FAILING:
        return current
    order = list(baseline.columns.test_ids)
    try:
        at = order.index(last.test_id)
    except ValueError:
        return current
    after = order[at + 1 :]
    ran = set(current.columns.test_ids)
    missing = set(order) - ran
    if not after or missing != set(after):
        return current
    said = (
        f"the run seems to have stopped at a failure (-x or --maxfail): the "
        f"{plural(len(after), 'test')} the baseline ran after {last.test_id} "
        f"{'has' if len(after) == 1 else 'have'} no result (unless this change removed "
        f"{'it' if len(after) == 1 else 'them'})"
    )
    return replace(current, interrupted=said)
