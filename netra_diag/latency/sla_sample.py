"""What an SLA check is computed from (``Sample``) and gives (``Stat``), and the two statistics
that are not a function of the values alone: a success rate with its Wilson interval, and the
peak event rate over bursts of consecutive events. ``netra_diag.latency.evaluate`` uses these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from netra_diag.latency.sla import SlaCheck
from netra_diag.latency.summary import MIN_TAIL_SAMPLES
from netra_diag.wording import plural

__all__ = ["Sample", "Stat", "burst_rate", "success_rate", "with_note"]


@dataclass(frozen=True, slots=True)
class Sample:
    values: npt.NDArray[np.float64]  # successful samples, canonical units
    ok: npt.NDArray[np.bool_]  # one flag per attempt (success-rate checks)
    times: npt.NDArray[np.float64] | None  # ms, aligned with ``ok``; None when unknown
    groups: npt.NDArray[np.int64] | None  # run groups aligned with ``ok`` (rate checks)
    fraction: float | None = None  # a success rate given directly, sample size unknown
    origin: str = "metrics"
    # Lower bounds (canonical units) of attempts with no value known to have taken at least
    # that long (runs that timed out, ``phase_metrics``' ``at_least_ms``); one per such attempt.
    at_least: npt.NDArray[np.float64] | None = None


@dataclass(frozen=True, slots=True)
class Stat:
    observed: float
    ci_low: float
    ci_high: float
    n: int
    reliable: bool
    note: str


def with_note(stat: Stat, note: str) -> Stat:
    joined = f"{stat.note}; {note}" if stat.note else note
    return Stat(stat.observed, stat.ci_low, stat.ci_high, stat.n, stat.reliable, joined)


def success_rate(sample: Sample, confidence: float, noun: str = "attempts") -> Stat:
    if sample.fraction is not None and sample.ok.size == 0:
        note = "success rate given without attempt counts: its uncertainty is unknown"
        return Stat(sample.fraction, math.nan, math.nan, 0, False, note)
    n = int(sample.ok.size)
    if n == 0:
        return Stat(math.nan, math.nan, math.nan, 0, False, "no attempts")
    k = int(sample.ok.sum())
    p = k / n
    # Wilson score interval: sensible at 0 %, 100 % and small n, where the normal one is not.
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    note = "" if n >= MIN_TAIL_SAMPLES else f"{k} of {n} {noun}: too few for a rate"
    # At 0 % (or 100 %) the bound is 0 (or 1) up to rounding: "2.776e-15 %" read as a number.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Stat(p, low, high, n, not note, note)


def burst_rate(check: SlaCheck, sample: Sample) -> Stat:
    """Peak events/s over ``burst`` consecutive events of one run, from its gaps (ms)."""
    gaps_needed = check.burst - 1
    ok = sample.ok
    groups = sample.groups[ok] if sample.groups is not None else np.zeros(ok.sum(), np.int64)
    order = np.argsort(sample.times[ok], kind="stable") if sample.times is not None else None
    values = sample.values if order is None else sample.values[order]
    groups = groups if order is None else groups[order]
    best = -math.inf
    windows = 0
    for g in np.unique(groups):
        gaps = values[groups == g]
        if gaps.size < gaps_needed:
            continue
        sums = np.convolve(gaps, np.ones(gaps_needed), mode="valid")
        windows += int(sums.size)
        with np.errstate(divide="ignore"):
            rates = np.where(sums > 0, gaps_needed / (sums / 1000.0), np.inf)
        best = max(best, float(rates.max()))
    if windows == 0:
        note = f"no run has {check.burst} consecutive events"
        return Stat(math.nan, math.nan, math.nan, 0, False, note)
    return Stat(
        best, math.nan, math.nan, windows, True, f"peak over {plural(windows, 'burst window')}"
    )
