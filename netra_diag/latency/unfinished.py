"""Attempts that never finished, in a check on their values.

A run whose terminal event never came, a tool that never completed, a connect that failed: such
an attempt has a ``phase_metrics`` row with ``ok`` False and no value. A statistic of the values
(max, mean, a percentile) is taken over the attempts that finished; said without more, "run_total
max 38 ms: PASS" reads as "every run finished within 38 ms" while one of them never did. So the
check is judged again as if every unfinished attempt were as bad as can be (slower than any
threshold, or for a floor, lower than it). When the verdict survives, those attempts cannot
change it; when it does not, the pass rests on the attempts that finished, and the check says so
and is not conclusive.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from netra_diag.latency.sla import SlaCheck

__all__ = ["is_value_statistic", "unfinished_verdict"]

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
