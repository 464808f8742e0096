"""Summaries of latency samples: count, mean, min/max and quantiles with confidence intervals
(order statistics for quantiles, ``latency.intervals``; a bootstrap for the mean), and an honest
word on which of them the sample size can support. A quantile interval the sample cannot bound
on one side is infinite there (null in JSON): the p95 of 30 samples has no upper bound.

A quantile q of n samples has about ``n * (1 - q)`` samples beyond it. With fewer than one, the
"p99" is simply the largest value seen; with fewer than ten, the interval is too unstable to act
on. Such estimates are kept but marked unreliable and explained in ``LatencySummary.warnings``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.latency.bootstrap import (
    bootstrap_histogram,
    bootstrap_values,
    percentile_interval,
)
from netra_diag.latency.histogram import LatencyHistogram
from netra_diag.latency.intervals import histogram_quantile_intervals, quantile_intervals
from netra_diag.latency.sample_notes import (
    MIN_MEAN_SAMPLES,
    MIN_TAIL_SAMPLES,
    mean_sample_note,
    quantile_label,
    sample_size_note,
    samples_needed,
)
from netra_diag.latency.summary_input import fmt_ms, group_values, ms_array
from netra_diag.wording import plural

__all__ = [
    "DEFAULT_QUANTILES",
    "EXACT_LIMIT",
    "MIN_MEAN_SAMPLES",
    "MIN_TAIL_SAMPLES",
    "Estimate",
    "GroupSummary",
    "LatencySummary",
    "mean_sample_note",
    "ms_array",
    "quantile_label",
    "sample_size_note",
    "samples_needed",
    "summarize_latency",
]

DEFAULT_QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99, 0.999)
# Above this many samples, quantiles come from the histogram (<= 0.4 % off) rather than a sort.
EXACT_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class Estimate:
    """One statistic with its confidence interval (infinite on a side the sample cannot bound).
    ``reliable`` is False when ``note`` explains why the sample size cannot support it."""

    statistic: str
    value: float
    ci_low: float
    ci_high: float
    reliable: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """The summary of one group (e.g. one phase). ``exact`` is False when quantiles were read
    from the histogram (more than ``EXACT_LIMIT`` samples, or a histogram was given)."""

    key: tuple[Any, ...]
    count: int
    min: float
    max: float
    mean: Estimate
    quantiles: tuple[Estimate, ...]
    exact: bool
    negative: int = 0
    # Attempts of the group with no value (``ok`` False: failed, or never finished), counted
    # for phase_metrics frames; the statistics are of the ``count`` that have one.
    failed: int = 0

    def estimate(self, statistic: str) -> Estimate:
        """``"mean"`` or a quantile label such as ``"p95"``."""
        if statistic == "mean":
            return self.mean
        for est in self.quantiles:
            if est.statistic == statistic:
                return est
        raise KeyError(statistic)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Summaries of each group, plus warnings about what the sample sizes cannot support."""

    by: tuple[str, ...]
    groups: tuple[GroupSummary, ...]
    qs: tuple[float, ...]
    confidence: float
    warnings: tuple[str, ...] = field(default=())

    def group(self, *key: Any) -> GroupSummary:
        for g in self.groups:
            if g.key == tuple(key):
                return g
        raise KeyError(key)

    def to_frame(self) -> pd.DataFrame:
        """One row per group. Columns: the ``by`` columns, then ``count``, ``failed``, ``mean_ms``,
        ``mean_ci_low_ms``, ``mean_ci_high_ms``, ``min_ms``, ``max_ms``, and for each quantile
        label L (``p50``, ``p99.9``…) ``L_ms``, ``L_ci_low_ms``, ``L_ci_high_ms``; then ``exact``
        (bool) and ``unreliable`` (comma-separated statistics the sample size cannot support).
        ``failed`` counts the group's attempts without a value (a ``phase_metrics`` frame's rows
        with ``ok`` False), left out of every statistic."""
        rows = []
        for g in self.groups:
            row: dict[str, Any] = dict(zip(self.by, g.key, strict=True))
            row.update(
                count=g.count,
                failed=g.failed,
                mean_ms=g.mean.value,
                mean_ci_low_ms=g.mean.ci_low,
                mean_ci_high_ms=g.mean.ci_high,
                min_ms=g.min,
                max_ms=g.max,
            )
            for est in g.quantiles:
                row[f"{est.statistic}_ms"] = est.value
                row[f"{est.statistic}_ci_low_ms"] = est.ci_low
                row[f"{est.statistic}_ci_high_ms"] = est.ci_high
            row["exact"] = g.exact
            row["unreliable"] = ",".join(
                e.statistic for e in (g.mean, *g.quantiles) if not e.reliable
            )
            rows.append(row)
        columns = [*self.by, "count", "failed", "mean_ms", "mean_ci_low_ms", "mean_ci_high_ms"]
        columns += ["min_ms", "max_ms"]
        for q in self.qs:
            lab = quantile_label(q)
            columns += [f"{lab}_ms", f"{lab}_ci_low_ms", f"{lab}_ci_high_ms"]
        columns += ["exact", "unreliable"]
        return pd.DataFrame(rows, columns=columns)

    def to_long(self) -> pd.DataFrame:
        """One row per group and statistic. Columns: the ``by`` columns, ``statistic``
        (``count``, ``min``, ``max``, ``mean``, ``p50``…), ``value_ms``, ``ci_low_ms``,
        ``ci_high_ms``, ``n``, ``reliable``, ``note``."""
        rows = []
        for g in self.groups:
            base = dict(zip(self.by, g.key, strict=True))
            for name, value in (("count", float(g.count)), ("min", g.min), ("max", g.max)):
                rows.append({**base, "statistic": name, "value_ms": value, "ci_low_ms": math.nan})
                rows[-1].update(ci_high_ms=math.nan, n=g.count, reliable=g.count > 0, note="")
            for est in (g.mean, *g.quantiles):
                rows.append(
                    {
                        **base,
                        "statistic": est.statistic,
                        "value_ms": est.value,
                        "ci_low_ms": est.ci_low,
                        "ci_high_ms": est.ci_high,
                        "n": g.count,
                        "reliable": est.reliable,
                        "note": est.note,
                    }
                )
        cols = [*self.by, "statistic", "value_ms", "ci_low_ms", "ci_high_ms", "n", "reliable"]
        return pd.DataFrame(rows, columns=[*cols, "note"])

    def text(self) -> str:
        """A fixed-width table; unreliable estimates are marked with ``~``."""
        if not self.groups:
            return "no latency samples"
        lines = []
        failures = any(g.failed for g in self.groups)
        failed_head = ["failed"] if failures else []
        head = [*self.by, "n", *failed_head, "mean", *(quantile_label(q) for q in self.qs), "max"]
        table: list[list[str]] = [head]
        for g in self.groups:
            cells = [str(k) for k in g.key] + [str(g.count)]
            if failures:
                cells.append(str(g.failed) if g.failed else "")
            for est in (g.mean, *g.quantiles):
                # (no value at all is "-", not "~-": there is nothing to be unsure of)
                mark = "" if est.reliable or not math.isfinite(est.value) else "~"
                cells.append(f"{mark}{fmt_ms(est.value)}")
            cells.append(fmt_ms(g.max))
            table.append(cells)
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        for row in table:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        ci = f"{self.confidence * 100:.10g}% intervals in --json (to_frame() in Python); "
        lines.append(ci + "~ = too few samples to mean much")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        # The generated repr spells out every Estimate of every group.
        what = ", ".join("/".join(map(str, g.key)) or "values" for g in self.groups[:4])
        more = f" +{len(self.groups) - 4}" if len(self.groups) > 4 else ""
        n = sum(g.count for g in self.groups)
        inside = f"{plural(n, 'sample')}: {what}{more}" if self.groups else "no latency samples"
        return f"LatencySummary({inside})"


def summarize_latency(
    values_or_df: Any,
    *,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    confidence: float = 0.95,
    seed: int = 0,
    by: Sequence[str] | None = None,
    n_boot: int = 1000,
) -> LatencySummary:
    """Summarise latencies (ms) with confidence intervals (see the module docstring).

    ``values_or_df`` is an array-like of milliseconds, a ``LatencyHistogram``, a mapping of group
    name to ``LatencyHistogram``, or a DataFrame with a ``value_ms`` column (``phase_metrics``
    output: rows with ``ok`` False are left out, and rows are grouped by ``phase`` and ``source``
    unless ``by`` says otherwise). NaN and infinite values are ignored.
    """
    qs = tuple(float(q) for q in quantiles)
    if any(not 0.0 <= q <= 1.0 for q in qs):
        raise LatencyDataError("summarize_latency", f"quantiles must lie in [0, 1]: {qs}")
    if not 0.0 < confidence < 1.0:
        raise LatencyDataError("summarize_latency", f"confidence must lie in (0, 1): {confidence}")
    keys, groups = group_values(values_or_df, by)
    # A frame's row without a value is an attempt that failed or never finished; an array's
    # NaN is just a value to ignore.
    frame = values_or_df if isinstance(values_or_df, pd.DataFrame) else None
    count_failed = frame is not None and "ok" in frame.columns
    summaries: list[GroupSummary] = []
    warnings: list[str] = []
    for key, data in groups:
        group = _summarize_one(key, data, qs, confidence, seed, n_boot)
        if count_failed and not isinstance(data, LatencyHistogram):
            group = dataclasses.replace(group, failed=int(data.size - group.count))
        if not key and group.count == 0:
            # An empty array (or histogram) has no group to name: "no latency samples", as an
            # empty frame. A named group keeps its row (a phase whose every attempt failed).
            continue
        summaries.append(group)
        name = "/".join(str(k) for k in key) or "values"
        if group.count == 0:
            why = f": {plural(group.failed, 'attempt')}, none finished" if group.failed else ""
            warnings.append(f"{name}: no samples{why}")
            continue
        if group.failed:
            total = group.count + group.failed
            warnings.append(
                f"{name}: {group.failed} of {total} attempts failed or never finished (no "
                f"value): the statistics are of the {group.count} that have one"
            )
        warning = _group_warning(group)
        if warning:
            warnings.append(f"{name}: {warning}")
        if group.negative:
            warnings.append(
                f"{name}: {plural(group.negative, 'negative value')}: "
                "the clocks that measured them disagree"
            )
    return LatencySummary(keys, tuple(summaries), qs, confidence, tuple(warnings))


def _group_warning(group: GroupSummary) -> str:
    """One sentence per group naming the statistics its sample size cannot support."""
    n = group.count
    if n == 1:
        return "1 sample: every statistic is that one value"
    highest = [e.statistic for e in group.quantiles if "is about the maximum" in e.note]
    lowest = [e.statistic for e in group.quantiles if "is about the minimum" in e.note]
    thin = [e.statistic for e in group.quantiles if e.note and "is about the m" not in e.note]
    parts = []
    for names, word in ((highest, "maximum"), (lowest, "minimum")):
        if names:
            verb = "is" if len(names) == 1 else "are all"
            parts.append(f"{_join(names)} of {n} samples {verb} about the {word}")
    if thin:
        verb = "rests" if len(thin) == 1 else "rest"
        parts.append(f"{_join(thin)} {verb} on fewer than {MIN_TAIL_SAMPLES} samples beyond")
    if not group.mean.reliable:
        extreme = "extreme values" in group.mean.note
        parts.append(group.mean.note if extreme else f"the {group.mean.note}")
    if not parts:
        return ""
    flagged = [e for e in group.quantiles if not e.reliable and 0 < _q(e.statistic) < 1]
    if flagged:
        worst = max(flagged, key=lambda e: max(_q(e.statistic), 1 - _q(e.statistic)))
        parts.append(f"{worst.statistic} needs >= {samples_needed(_q(worst.statistic))} samples")
    return "; ".join(parts)


def _q(label: str) -> float:
    return float(label[1:]) / 100.0


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _summarize_one(
    key: tuple[Any, ...],
    data: npt.NDArray[np.float64] | LatencyHistogram,
    qs: tuple[float, ...],
    confidence: float,
    seed: int,
    n_boot: int,
) -> GroupSummary:
    if isinstance(data, LatencyHistogram):
        hist: LatencyHistogram | None = data
        n = data.count
        lo, hi, mean = data.min, data.max, data.mean
        negative = data.clamped
        exact = False
    else:
        x = data[np.isfinite(data)]
        n = int(x.size)
        hist = LatencyHistogram.from_values(x) if n > EXACT_LIMIT else None
        lo = float(x.min()) if n else math.nan
        hi = float(x.max()) if n else math.nan
        mean = float(x.mean()) if n else math.nan
        negative = int(np.count_nonzero(x < 0))
        exact = hist is None
    if n == 0:
        empty = Estimate("mean", math.nan, math.nan, math.nan, False, "no samples")
        blanks = tuple(
            Estimate(quantile_label(q), math.nan, math.nan, math.nan, False, "no samples")
            for q in qs
        )
        return GroupSummary(key, 0, math.nan, math.nan, empty, blanks, True)
    # Percentiles get order-statistic intervals (``latency.intervals``): the bootstrap's never
    # reach past the largest sample, and under-cover badly in the tail. The mean keeps it.
    if hist is not None:
        points = np.atleast_1d(hist.quantile(list(qs))) if qs else np.zeros(0)
        boot = bootstrap_histogram(hist, (), n_boot=n_boot, seed=seed)
        q_low, q_high = histogram_quantile_intervals(hist, qs, confidence)
    else:
        assert not isinstance(data, LatencyHistogram)
        x = data[np.isfinite(data)]
        points = np.quantile(x, list(qs)) if qs else np.zeros(0)
        boot = bootstrap_values(x, (), n_boot=n_boot, seed=seed)
        q_low, q_high = quantile_intervals(x, qs, confidence)
    m_low, m_high = percentile_interval(boot.mean[None, :], confidence)
    if n < 2:
        q_low, q_high = np.full(len(qs), np.nan), np.full(len(qs), np.nan)
        m_low, m_high = np.full(1, np.nan), np.full(1, np.nan)
    mean_note = mean_sample_note(n)
    if not mean_note and float(m_high[0]) - float(m_low[0]) > abs(mean):
        # 999 values of 10 ms and one of 1000 s: "mean 1.01 s" describes no request at all.
        mean_note = (
            f"mean of {plural(n, 'sample')} rests on a few extreme values (interval "
            f"{fmt_ms(float(m_low[0]))} to {fmt_ms(float(m_high[0]))}): read the percentiles"
        )
    mean_est = Estimate("mean", mean, float(m_low[0]), float(m_high[0]), not mean_note, mean_note)
    ests: list[Estimate] = []
    for j, q in enumerate(qs):
        note = sample_size_note(q, n)
        ests.append(
            Estimate(
                quantile_label(q),
                float(points[j]),
                float(q_low[j]),
                float(q_high[j]),
                not note,
                note,
            )
        )
    return GroupSummary(key, n, lo, hi, mean_est, tuple(ests), exact, negative)
