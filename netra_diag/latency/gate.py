"""What ``sla check`` decides: an ``SlaReport`` and, with a baseline, a ``ComparisonReport``,
combined into one verdict whose headline names what failed first.

Without this the two halves spoke separately: the SLA headline said ``PASS — 2 of 2 checks
pass`` while a phase that regressed against the baseline made the run fail. Verdicts, worst
first: ``BREACH`` (a required check failed on data), ``REGRESSION`` (a phase is slower than the
baseline by more than the comparison's floors, see ``compare``), ``NOT VERIFIED`` (a required
check had no data), ``PASS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from netra_diag.latency.compare import (
    ComparisonReport,
    Delta,
    PhaseComparison,
    Verdict,
    group_name,
)
from netra_diag.latency.sla_report import CheckResult, SlaReport
from netra_diag.latency.units import Dimension, format_quantity
from netra_diag.wording import plural

__all__ = ["SlaGate"]


@dataclass(frozen=True, slots=True)
class SlaGate:
    """The verdict of an SLA check, optionally against a baseline. ``allow_missing`` lets
    required checks without data through (they stay reported, and the verdict stays ``NOT
    VERIFIED``)."""

    report: SlaReport
    comparison: ComparisonReport | None = None
    allow_missing: bool = False

    @property
    def regressions(self) -> tuple[PhaseComparison, ...]:
        return self.comparison.regressions if self.comparison is not None else ()

    @property
    def missing_required(self) -> tuple[CheckResult, ...]:
        return tuple(r for r in self.report.missing if r.check.required)

    @property
    def more_failures(self) -> tuple[PhaseComparison, ...]:
        """Phases where a larger share of attempts failed or never finished than in the
        baseline (the latencies compare only the attempts that finished)."""
        rows = self.comparison.rows if self.comparison is not None else ()
        return tuple(r for r in rows if r.more_failures)

    @property
    def unjudged_slower(self) -> tuple[PhaseComparison, ...]:
        """Phases too small to compare whose median is slower by more than the comparison's
        floors: no regression can be shown, but a run 90 times slower on 3 samples is not
        "fine" either, and the headline says so."""
        if self.comparison is None:
            return ()
        c = self.comparison
        out = []
        for row in c.rows:
            m = row.median
            if row.verdict is not Verdict.INSUFFICIENT or not math.isfinite(m.delta):
                continue
            floor = max(c.min_absolute_change_ms, c.min_relative_change * abs(m.baseline))
            if m.delta > floor:
                out.append(row)
        # The headline names the first: the most slowed-down phase, not the first by name
        # (event_gap 199 → 629 ms was named while run_total went 983 ms → 6.7 s).
        return tuple(sorted(out, key=lambda r: _slowdown(r.median), reverse=True))

    @property
    def verdict(self) -> str:
        if self.report.breached:
            return "BREACH"
        if self.regressions:
            return "REGRESSION"
        return self.report.verdict

    @property
    def passed(self) -> bool:
        """Every required check passed on data and no phase regressed."""
        return self.report.passed and not self.regressions

    @property
    def failed(self) -> bool:
        """Whether the gate fails the run (``sla check`` exits 6)."""
        if self.report.breached or self.regressions:
            return True
        # Nothing passed on data (every check optional and without data): NOT VERIFIED.
        unverified = bool(self.missing_required) or self.report.verdict == "NOT VERIFIED"
        return unverified and not self.allow_missing

    @property
    def headline(self) -> str:
        """One line, the verdict and the failure that decided it first."""
        details = self.report.headline_details()
        regressed = self._regression_text()
        if self.verdict == "REGRESSION":
            parts = [regressed, "the SLA checks themselves: " + details[0], *details[1:]]
        else:
            parts = [*details, *([regressed] if regressed else [])]
        failing = self.more_failures
        if failing:
            first = failing[0]
            (fb, nb), (fc, nc) = first.failed_baseline, first.failed_current
            phases = "phase has" if len(failing) == 1 else "phases have"
            parts.append(
                f"{len(failing)} {phases} more attempts that failed or never finished than the "
                f"baseline ({group_name(first.key)}: {fc} of {nc}, baseline {fb} of {nb})"
            )
        unjudged = self.unjudged_slower
        if unjudged:
            first = unjudged[0]
            phases = "phase" if len(unjudged) == 1 else "phases"
            verb = "looks" if len(unjudged) == 1 else "look"
            parts.append(
                f"{len(unjudged)} {phases} too small to compare {verb} slower than the baseline "
                f"({group_name(first.key)}: median {_ms(first.median.baseline)} → "
                f"{_ms(first.median.current)} on {plural(first.n_current, 'sample')})"
            )
        name = self.report.spec.name
        return "; ".join([f"SLA {name!r}: {self.verdict} — {parts[0]}", *parts[1:]])

    def _regression_text(self) -> str:
        rows = self.regressions
        if not rows:
            return ""
        first = max(rows, key=lambda r: _slowdown(_slower(r)))
        d = _slower(first)
        label = "median" if d is first.median else "p95"
        name = group_name(first.key)
        phases = "phase" if len(rows) == 1 else "phases"
        return (
            f"{len(rows)} {phases} slower than the baseline ({name}: {label} "
            f"{_ms(d.baseline)} → {_ms(d.current)})"
        )

    def text(self) -> str:
        """The combined headline, the SLA table and, with a baseline, the comparison."""
        parts = [self.headline, self.report.text()]
        if self.comparison is not None:
            parts.append(self.comparison.text())
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"SlaGate({self.headline!r})"

    def to_dict(self) -> dict[str, Any]:
        """``SlaReport.to_dict()`` with the combined ``verdict``, ``passed``, ``headline``, plus
        ``regressed`` and ``comparison``."""
        doc = self.report.to_dict()
        doc.update(
            verdict=self.verdict,
            passed=self.passed,
            regressed=bool(self.regressions),
            unjudged_slower=[group_name(r.key) for r in self.unjudged_slower],
            more_failures=[group_name(r.key) for r in self.more_failures],
            headline=self.headline,
            comparison=self.comparison.to_dict() if self.comparison is not None else None,
        )
        return doc


def _slower(row: PhaseComparison) -> Delta:
    """The statistic that shows a regression: the median, else the p95."""
    return row.median if row.median.usable and row.median.delta > 0 else row.p95


def _slowdown(delta: Delta) -> tuple[float, float]:
    """How many times slower, then by how much: for ranking phases, worst first."""
    ratio = delta.current / delta.baseline if delta.baseline > 0 else math.inf
    return (ratio, delta.delta)


def _ms(value: float) -> str:
    return format_quantity(value, Dimension.TIME)
