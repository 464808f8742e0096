"""Attempts that never finished, in a check on their values.

A run whose terminal event never came, a tool that never completed, a connect that failed: such
an attempt has a ``phase_metrics`` row with ``ok`` False and no value. A statistic of the values
(max, mean, a percentile) is taken over the attempts that finished; said without more, "run_total
max 38 ms: PASS" reads as "every run finished within 38 ms" while one of them never did. So the
check is judged again as if every unfinished attempt were as bad as can be (slower than any
threshold, or for a floor, lower than it). When the verdict survives, those attempts cannot
change it; when it does not, the pass rests on the attempts that finished, and the check says so
and is not conclusive.

Some of them are known to have taken at least so long: a run the client gave up on after 4 s
took at least 4 s (its value is censored, with that lower bound), and so did the silence from its
last event to the timeout (an ``event_gap``). For a limit (``<``, ``<=``) the statistic computed
with each such attempt at its lower bound, and every other unfinished one at the least a value
can be, is a lower bound of the true one (max, mean and every percentile only grow with the
values): when it already breaks the limit the check fails on the data, "5 runs timed out after
4 s, so max ≥ 4 s", rather than passing on the attempts that finished.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from netra_diag.latency.sla import SlaCheck
from netra_diag.latency.units import format_quantity

__all__ = ["censored_note", "is_value_statistic", "lower_bound_values", "unfinished_verdict"]

# Statistics of the values themselves; success_rate counts the failures, count and rate do not
# rest on a value per attempt.
_NOT_VALUES = frozenset({"success_rate", "count", "rate"})
# A stand-in for "never came": beyond any threshold, and finite so that interpolating a
# quantile next to it gives a number, not inf - inf.
_WORST = 1e300


def is_value_statistic(statistic: str) -> bool:
    return statistic not in _NOT_VALUES


def unfinished_verdict(
    check: SlaCheck, values: npt.NDArray[np.float64], left_out: int
) -> tuple[bool, str]:
    """Whether the check still holds with ``left_out`` unfinished attempts counted at their
    worst, and a note naming them ("" when there are none)."""
    if left_out <= 0:
        return True, ""
    total = values.size + left_out
    # (a refused connect has no value either: "never finished" alone blamed a recording)
    what = f"{left_out} of {total} {check.phase} attempts failed or never finished (no value)"
    if check.statistic == "count":
        return True, f"{what}: the count is of the {values.size} that did"
    if not is_value_statistic(check.statistic):
        return True, ""
    worst = _WORST if check.lower_is_better else -_WORST
    x = np.concatenate([values, np.full(left_out, worst)])
    stat = check.statistic
    if stat == "max":
        observed = float(x.max())
    elif stat == "min":
        observed = float(x.min())
    elif stat == "mean":
        observed = worst
    else:
        assert check.quantile is not None
        observed = float(np.quantile(x, check.quantile))
    if check.holds(observed):
        return True, f"{what}; counted as the worst, they would not change the verdict"
    return False, (f"{what}; left out, the {stat} holds only for the {values.size} that finished")


def lower_bound_values(
    check: SlaCheck,
    values: npt.NDArray[np.float64],
    left_out: int,
    at_least: npt.NDArray[np.float64] | None,
) -> npt.NDArray[np.float64] | None:
    """Every attempt at the least it can be: the finished ones as they are, those known to have
    taken at least so long at that bound, the other unfinished ones below every value. ``None``
    when no bound is known or the check is not a limit on the values (only a limit can be shown
    broken by a lower bound)."""
    if at_least is None or at_least.size == 0 or left_out <= 0:
        return None
    if not check.lower_is_better or not is_value_statistic(check.statistic):
        return None
    if check.statistic == "count":
        return None
    # A failed attempt without a bound (a close, a cut recording) may have taken no time at
    # all, or be no value: at the floor it can only lower the statistic, never prove more.
    floor = min(0.0, float(values.min())) if values.size else 0.0
    unknown = max(0, left_out - int(at_least.size))
    return np.concatenate([values, at_least, np.full(unknown, floor)])


def censored_note(check: SlaCheck, at_least: npt.NDArray[np.float64], bound_text: str) -> str:
    """``"5 runs timed out after 4.002 s, so max ≥ 4.002 s"``: why the check fails."""
    k = int(at_least.size)
    low = format_quantity(float(at_least.min()), check.dimension)
    high = format_quantity(float(at_least.max()), check.dimension)
    span = low if low == high else f"{low} to {high}"
    runs = "1 run" if k == 1 else f"{k} runs"
    if check.phase == "event_gap":
        their = "its" if k == 1 else "their"
        what = f"{runs} timed out {span} after {their} last event (a gap that never closed)"
    elif check.phase == "run_total":
        what = f"{runs} timed out after {span}"
    else:
        what = f"{k} {check.phase} attempts timed out after {span}"
    return f"{what}, so {check.statistic} ≥ {bound_text}"
