"""Tests much slower than their own history: without a baseline, a history folder still says
how long a test usually takes.

A test's usual time is the median of its passes in the earlier runs (outage runs left out by
the caller: a test that failed there took no time worth comparing). Durations are noisy (a
shared CI machine, a cold cache), so a test is only called slower when it is all of:

- at least ``factor`` times its median *and* ``min_seconds`` longer (as against a baseline,
  ``diff.diff_runs``: jitter on millisecond tests is no slowdown);
- slower than every earlier pass (a test that took as long before is within its own noise),
  its jump over the median at least ``SPREADS`` times the test's own spread (the scaled
  median absolute deviation of the logarithms of its earlier times). Simulated over 5 earlier
  runs: a test whose times vary by a factor of about 1.6 (log-normal, sigma 0.5) was called
  slower in 8 % of runs on the other rules alone, 4 % with this one; a test steady within a
  tenth is still caught every time at 3 times its usual time;
- judged on at least ``min_runs`` earlier passes (a median of one or two is a baseline, not a
  history). Under ``FEW_RUNS`` the report says the history is short.

Only tests that passed in this run count: a failing test (a timeout) is a failure already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import log
from statistics import median

from netra_diag.suites.model import Outcome, SuiteRun

__all__ = ["FEW_RUNS", "HistorySlowdown", "slower_than_history"]

# Below this many earlier passes, a slowdown is said with a caveat: few runs to judge by.
FEW_RUNS = 5
# How many of its own spreads a test's time must jump (see the module's docstring).
SPREADS = 3.0
# Times are compared as logarithms from this floor: pytest writes a quick test's 0.000 s.
_FLOOR_S = 0.001


@dataclass(frozen=True, slots=True)
class HistorySlowdown:
    test_id: str
    median: float  # seconds: the median of the test's earlier passes
    slowest: float  # seconds: the slowest of them
    after: float  # seconds: this run
    runs: int  # earlier passes the median is of

    @property
    def factor(self) -> float:
        return self.after / self.median if self.median > 0 else float("inf")

    @property
    def few_runs(self) -> bool:
        return self.runs < FEW_RUNS


def slower_than_history(
    earlier: Sequence[SuiteRun],
    current: SuiteRun,
    *,
    factor: float = 2.0,
    min_seconds: float = 1.0,
    min_runs: int = 3,
) -> tuple[HistorySlowdown, ...]:
    """The tests of ``current`` that passed much slower than in ``earlier`` (see the module's
    rules), the most seconds added first."""
    # (only tests that took at least min_seconds now can be min_seconds slower: on a large run,
    # the histories of the few slow ones are gathered, not of every test)
    candidates = {
        row.test_id: row.duration
        for row in current.rows
        if row.outcome is Outcome.PASSED
        and row.duration is not None
        and row.duration >= min_seconds
        and not _passed_on_retry(current, row.test_id)
    }
    if not candidates:
        return ()
    times: dict[str, list[float]] = {tid: [] for tid in candidates}
    for run in earlier:
        for row in run.rows:
            if (
                row.outcome is Outcome.PASSED
                and row.duration is not None
                and (seen := times.get(row.test_id)) is not None
                and not _passed_on_retry(run, row.test_id)
            ):
                seen.append(row.duration)
    found = []
    for tid, after in candidates.items():
        before = times[tid]
        if len(before) < min_runs:
            continue
        usual = median(before)
        if (
            after >= usual * factor
            and after - usual >= min_seconds
            and after > max(before)
            and _log(after) - _log(usual) >= SPREADS * _spread(before)
        ):
            found.append(HistorySlowdown(tid, usual, max(before), after, len(before)))
    found.sort(key=lambda s: (-(s.after - s.median), s.test_id))
    return tuple(found)


def _log(seconds: float) -> float:
    return log(max(seconds, _FLOOR_S))


def _spread(times: Sequence[float]) -> float:
    """The scaled median absolute deviation of the times' logarithms (for normal noise, its
    standard deviation): how much the test's time varies from run to run, as a factor."""
    logs = [_log(t) for t in times]
    centre = median(logs)
    return 1.4826 * median(abs(x - centre) for x in logs)


def _passed_on_retry(run: SuiteRun, test_id: str) -> bool:
    # (a pass on a retry: its time may be one attempt's or all of them, as the runner wrote it)
    case = run.details.get(test_id)
    return case is not None and case.passed_on_retry
