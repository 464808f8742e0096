"""Baseline vs current: per-phase deltas of the median and p95 with bootstrap intervals, and a
verdict that calls a change only when the interval excludes zero and the change is big enough to
matter: more than ``min_relative_change`` of the baseline value (default 5 %) *and* more than
``min_absolute_change_ms`` (default 1 ms).

Why both floors: on a small baseline a relative floor alone calls a +0.02 ms shift of a 0.09 ms
event latency a "+22 % regression" — statistically real (thousands of loopback samples give a
tight interval) but far below what any client can notice, and below the jitter of the clocks
that measured it (``time.time()`` stamps, scheduler wake-ups). An absolute floor alone would let
a 30 % slowdown of a 2 ms phase pass. A change has to clear both.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.latency.bootstrap import bootstrap_values, percentile_interval
from netra_diag.latency.compare_failures import failure_counts, failure_note
from netra_diag.latency.compare_groups import value_groups
from netra_diag.latency.compare_notes import (
    INCONCLUSIVE,
    UNCONFIRMED,
    inconclusive_part,
    noise_notes,
)
from netra_diag.latency.histogram import LatencyHistogram
from netra_diag.latency.summary import (
    EXACT_LIMIT,
    quantile_label,
    sample_size_note,
    samples_needed,
)
from netra_diag.latency.units import format_change, format_shift
from netra_diag.wording import plural

__all__ = [
    "ComparisonReport",
    "Delta",
    "PhaseComparison",
    "Verdict",
    "compare_latency",
    "group_name",
]

_QS = (0.5, 0.95)


class Verdict(StrEnum):
    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    NOISE = "within noise"
    INSUFFICIENT = "insufficient data"


@dataclass(frozen=True, slots=True)
class Delta:
    """``current - baseline`` of one statistic (ms) with its bootstrap interval."""

    baseline: float
    current: float
    delta: float
    ci_low: float
    ci_high: float
    usable: bool  # both samples large enough for this statistic

    @property
    def relative(self) -> float:
        return self.delta / self.baseline if self.baseline else math.nan


@dataclass(frozen=True, slots=True)
class PhaseComparison:
    key: tuple[Any, ...]
    n_baseline: int
    n_current: int
    median: Delta
    p95: Delta
    verdict: Verdict
    note: str = ""
    # (attempts without a value, attempts) on each side, for phase_metrics frames
    failed_baseline: tuple[int, int] = (0, 0)
    failed_current: tuple[int, int] = (0, 0)

    @property
    def more_failures(self) -> bool:
        """A larger share of the current attempts failed or never finished than of the
        baseline's: something the latencies, of the attempts that finished, cannot show."""
        (fb, nb), (fc, nc) = self.failed_baseline, self.failed_current
        return fc > 0 and (nb == 0 or fc / max(nc, 1) > fb / nb)


def group_name(key: tuple[Any, ...]) -> str:
    """``connect/client`` for a group of a ``phase_metrics`` frame; ``all values`` for the one
    group of two arrays (nothing to group by)."""
    return "/".join(map(str, key)) or "all values"


@dataclass(frozen=True, slots=True)
class ComparisonReport:
    by: tuple[str, ...]
    rows: tuple[PhaseComparison, ...]
    confidence: float
    min_relative_change: float
    min_absolute_change_ms: float = 1.0

    @property
    def regressions(self) -> tuple[PhaseComparison, ...]:
        return tuple(r for r in self.rows if r.verdict is Verdict.REGRESSION)

    @property
    def improvements(self) -> tuple[PhaseComparison, ...]:
        return tuple(r for r in self.rows if r.verdict is Verdict.IMPROVEMENT)

    @property
    def headline(self) -> str:
        """``baseline vs current over 3 phases: 1 regression (connect/client); …``, or for two
        arrays (one unnamed group) ``baseline vs current, all values: regression``."""
        if not self.rows:
            return "nothing to compare"
        if len(self.rows) == 1 and not self.rows[0].key:
            row = self.rows[0]
            why = f" ({row.note})" if row.verdict is Verdict.INSUFFICIENT and row.note else ""
            if _inconclusive(row):
                why = f" ({INCONCLUSIVE}: {UNCONFIRMED})"
            return f"baseline vs current, all values: {row.verdict}{why}"
        parts = []
        for verdict in Verdict:
            hits = [r for r in self.rows if r.verdict is verdict]
            if hits:
                names = ", ".join(group_name(r.key) for r in hits[:4])
                more = f" +{len(hits) - 4}" if len(hits) > 4 else ""
                parts.append(f"{len(hits)} {verdict} ({names}{more})")
        unsure = [group_name(r.key) for r in self.rows if _inconclusive(r)]
        if unsure:
            parts.append(inconclusive_part(unsure))
        return f"baseline vs current over {plural(len(self.rows), 'phase')}: " + "; ".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """One row per group. Columns: the ``by`` columns, ``n_baseline``, ``n_current``,
        ``failed_baseline``, ``failed_current`` (attempts without a value, left out), then for
        S in (median, p95): ``S_baseline_ms``, ``S_current_ms``, ``S_delta_ms``,
        ``S_delta_ci_low_ms``, ``S_delta_ci_high_ms``, ``S_delta_pct``; then ``verdict`` and
        ``note``. A group with too few samples for a verdict still shows the medians it has
        (NaN only for a side without samples), without an interval; its p95 is NaN: the note
        says why."""
        rows = []
        for r in self.rows:
            row: dict[str, Any] = dict(zip(self.by, r.key, strict=True))
            row.update(
                n_baseline=r.n_baseline,
                n_current=r.n_current,
                failed_baseline=r.failed_baseline[0],
                failed_current=r.failed_current[0],
            )
            for name, d in (("median", r.median), ("p95", r.p95)):
                row[f"{name}_baseline_ms"] = d.baseline
                row[f"{name}_current_ms"] = d.current
                row[f"{name}_delta_ms"] = d.delta
                row[f"{name}_delta_ci_low_ms"] = d.ci_low
                row[f"{name}_delta_ci_high_ms"] = d.ci_high
                row[f"{name}_delta_pct"] = d.relative * 100
            row.update(verdict=str(r.verdict), note=r.note)
            rows.append(row)
        cols = [*self.by, "n_baseline", "n_current", "failed_baseline", "failed_current"]
        for name in ("median", "p95"):
            cols += [
                f"{name}_baseline_ms",
                f"{name}_current_ms",
                f"{name}_delta_ms",
                f"{name}_delta_ci_low_ms",
                f"{name}_delta_ci_high_ms",
                f"{name}_delta_pct",
            ]
        return pd.DataFrame(rows, columns=[*cols, "verdict", "note"])

    def text(self) -> str:
        """The headline, then one line per group: verdict, median and p95 with the interval of
        their change, and the note."""
        lines = [self.headline]
        for r in self.rows:
            cells = []
            for label, d in (("median", r.median), ("p95", r.p95)):
                if math.isfinite(d.delta):
                    ci = (
                        f"CI {format_shift(d.ci_low)}…{format_shift(d.ci_high)}"
                        if math.isfinite(d.ci_low) and math.isfinite(d.ci_high)
                        else "no interval"
                    )
                    change = format_change(d.baseline, d.current)
                    cells.append(f"{label} {change} ({format_shift(d.delta)}, {ci})")
            note = f"  [{r.note}]" if r.note else ""
            detail = ": " + "; ".join(cells) if cells else ""
            lines.append(f"  {group_name(r.key)}: {r.verdict}{detail}{note}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        # The generated repr spells out every Delta of every group.
        return f"ComparisonReport({self.headline!r})"

    def to_dict(self) -> dict[str, Any]:
        records = json.loads(self.to_frame().to_json(orient="records"))
        return {"headline": self.headline, "phases": records}


def compare_latency(
    baseline_df: Any,
    current_df: Any,
    *,
    by: Sequence[str] | None = None,
    confidence: float = 0.95,
    n_boot: int = 1000,
    seed: int = 0,
    min_relative_change: float = 0.05,
    min_absolute_change_ms: float = 1.0,
    min_samples: int = 5,
) -> ComparisonReport:
    """Compare two sets of latencies (``phase_metrics`` DataFrames, or arrays of ms).

    Groups by ``phase`` and ``source`` (when present) unless ``by`` is given. The median always
    counts toward the verdict; the p95 only when both samples have ten values above it;
    ``regression`` when an interval of ``current - baseline`` lies wholly above zero and the
    change exceeds both ``min_relative_change`` of the baseline and ``min_absolute_change_ms``,
    ``improvement`` likewise below zero, otherwise ``within noise`` (with a note when the
    interval excludes zero but the change is under the floors); ``insufficient data`` when
    either side has < ``min_samples``.
    """
    if not (min_relative_change >= 0 and min_absolute_change_ms >= 0):
        raise LatencyDataError(
            "compare_latency",
            f"change floors must be >= 0, got {min_relative_change!r} / "
            f"{min_absolute_change_ms!r} ms",
        )
    if isinstance(baseline_df, pd.DataFrame) and by is None:
        keys = tuple(c for c in ("phase", "source") if c in baseline_df.columns)
    else:
        keys = tuple(by or ())
    # A latency that compares two clocks (event_latency) changes with the clocks: a cassette
    # proving they disagree by more than the smallest change worth calling cannot take part.
    base_groups, base_out = value_groups(baseline_df, keys, min_absolute_change_ms)
    cur_groups, cur_out = value_groups(current_df, keys, min_absolute_change_ms)
    base_failed = failure_counts(baseline_df, keys)
    cur_failed = failure_counts(current_df, keys)
    seeds = np.random.SeedSequence(seed).spawn(2)
    rows = []
    every = set(base_groups) | set(cur_groups) | set(base_out) | set(cur_out)
    for key in sorted(every, key=lambda k: tuple(map(str, k))):
        b = _finite(base_groups.get(key))
        c = _finite(cur_groups.get(key))
        if not (b.size or c.size or key in base_out or key in cur_out):
            continue  # two empty arrays: nothing to compare, as two empty frames
        row = _compare_one(
            key,
            b,
            c,
            confidence,
            n_boot,
            seeds,
            (min_relative_change, min_absolute_change_ms),
            min_samples,
        )
        skipped = [
            f"{n} {side} {'value' if n == 1 else 'values'} left out: clocks disagree by at least "
            f"{worst:.4g} ms"
            for side, out in (("baseline", base_out), ("current", cur_out))
            if key in out
            for n, worst in [out[key]]
        ]
        failed = (base_failed.get(key, (0, 0)), cur_failed.get(key, (0, 0)))
        failures = failure_note(*failed)
        if skipped or failures:
            notes = [*skipped, *([failures] if failures else []), *([row.note] if row.note else [])]
            row = dataclasses.replace(row, note="; ".join(notes))
        row = dataclasses.replace(row, failed_baseline=failed[0], failed_current=failed[1])
        rows.append(row)
    return ComparisonReport(
        keys, tuple(rows), confidence, min_relative_change, min_absolute_change_ms
    )


def _inconclusive(row: PhaseComparison) -> bool:
    return row.verdict is Verdict.NOISE and f"{INCONCLUSIVE}:" in row.note


def _finite(x: npt.NDArray[np.float64] | None) -> npt.NDArray[np.float64]:
    if x is None:
        return np.zeros(0)
    return x[np.isfinite(x)]


def _points(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if x.size > EXACT_LIMIT:
        return np.asarray(LatencyHistogram.from_values(x).quantile(list(_QS)), dtype=np.float64)
    return np.quantile(x, list(_QS))


def _compare_one(
    key: tuple[Any, ...],
    b: npt.NDArray[np.float64],
    c: npt.NDArray[np.float64],
    confidence: float,
    n_boot: int,
    seeds: list[np.random.SeedSequence],
    floors: tuple[float, float],
    min_samples: int,
) -> PhaseComparison:
    nan = Delta(math.nan, math.nan, math.nan, math.nan, math.nan, False)
    if b.size < min_samples or c.size < min_samples:
        # ("1 baseline and 1 current sample", "2 baseline and 0 current samples")
        counted = plural(int(c.size), "current sample")
        note = f"{b.size} baseline and {counted}; need {min_samples} each"
        # The medians are shown (a handful of samples has one), with no interval and no say in
        # the verdict; a p95 of so few is only the largest value, so it stays NaN.
        mb = float(np.median(b)) if b.size else math.nan
        mc = float(np.median(c)) if c.size else math.nan
        median = Delta(mb, mc, mc - mb, math.nan, math.nan, False)
        verdict = Verdict.INSUFFICIENT
        return PhaseComparison(key, int(b.size), int(c.size), median, nan, verdict, note)
    pb, pc = _points(b), _points(c)
    rb = bootstrap_values(b, _QS, n_boot=n_boot, seed=np.random.default_rng(seeds[0])).quantiles
    rc = bootstrap_values(c, _QS, n_boot=n_boot, seed=np.random.default_rng(seeds[1])).quantiles
    low, high = percentile_interval(rc - rb, confidence)
    deltas = []
    notes = []
    smaller = int(min(b.size, c.size))
    for j, q in enumerate(_QS):
        # The median of a handful of samples still moves with the bulk; a tail percentile
        # needs ten samples beyond it on both sides before its shift means anything.
        why = "" if q == 0.5 else sample_size_note(q, smaller)
        if why:
            label = quantile_label(q)
            notes.append(
                f"{label} left out of the verdict ({smaller} samples, needs {samples_needed(q)})"
            )
        deltas.append(
            Delta(
                float(pb[j]),
                float(pc[j]),
                float(pc[j] - pb[j]),
                float(low[j]),
                float(high[j]),
                not why,
            )
        )
    min_rel, min_abs = floors

    def matters(d: Delta) -> bool:
        return abs(d.delta) > max(min_rel * abs(d.baseline), min_abs)

    up = any(d.usable and d.ci_low > 0 and d.delta > 0 and matters(d) for d in deltas)
    down = any(d.usable and d.ci_high < 0 and d.delta < 0 and matters(d) for d in deltas)
    if not (up or down):
        notes += noise_notes(list(zip(("median", "p95"), deltas, strict=True)), matters, floors)
    verdict = Verdict.REGRESSION if up else Verdict.IMPROVEMENT if down else Verdict.NOISE
    return PhaseComparison(
        key, int(b.size), int(c.size), deltas[0], deltas[1], verdict, "; ".join(notes)
    )
