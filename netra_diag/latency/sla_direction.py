"""Checks whose comparison cannot mean what their author meant: one pointing the unusual way
for what it measures (a floor on a duration, a ceiling on a success rate), and one no value can
ever pass (``max < 0 ms``, ``success_rate > 100 %``), which would read as a breach of the
service: ``parse_sla`` refuses such a check as a bad SLA file (``never_passes``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netra_diag.latency.units import Dimension

if TYPE_CHECKING:
    from netra_diag.latency.sla import SlaCheck

__all__ = ["direction_note", "never_passes"]


def direction_note(check: SlaCheck) -> str:
    """A warning for such a check, "" otherwise."""
    impossible = never_passes(check)
    if impossible:
        return impossible
    if check.dimension in (Dimension.TIME, Dimension.MEMORY) and not check.lower_is_better:
        return (
            f"{check.rule} is a floor: it passes only when the {check.statistic} is at least "
            "that slow; a limit is written '<' or '<='"
        )
    if check.dimension in (Dimension.RATE, Dimension.FRACTION) and check.lower_is_better:
        return (
            f"{check.rule} is a ceiling: it passes only when the {check.statistic} is that "
            "low; a minimum is written '>' or '>='"
        )
    return ""


def never_passes(check: SlaCheck) -> str:
    """Why no value can pass ``check`` ("max < 0 ms can never pass: …"), "" when one can."""
    t, comparison = check.threshold, check.comparison
    # (durations, sizes, rates and counts are never below 0; a share never above 100 %)
    below_zero = (comparison == "<" and t <= 0) or (comparison == "<=" and t < 0)
    top = (
        1.0 if check.dimension is Dimension.FRACTION or check.statistic == "success_rate" else None
    )
    above_top = top is not None and ((comparison == ">" and t >= top) or t > top)
    if below_zero:
        return f"{check.rule} can never pass: no {check.statistic} is below 0"
    if above_top:
        return f"{check.rule} can never pass: a share is at most 100 %"
    return ""
