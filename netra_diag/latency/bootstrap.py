"""Percentile-bootstrap confidence intervals for quantiles and the mean, vectorised and seeded.

Three resampling paths, chosen by what is available:

* up to ``EXACT_BOOT_LIMIT`` samples: classic resampling with replacement, ``n_boot`` rows of
  ``n`` indexes drawn at once (in chunks that bound memory) and reduced with one
  ``np.quantile(..., axis=1)`` call;
* more samples: the same bootstrap without materialising resamples. The k-th smallest value of
  a resample is ``sorted[floor(n * U)]`` with ``U ~ Beta(k, n - k + 1)``, the k-th order
  statistic of n uniforms, so each replicate costs O(1) after one sort; the resampled mean is
  drawn from its normal limit (n > 20 000);
* only a histogram: the same order-statistic draw, mapped to a bucket through the cumulative
  counts, with each replicate spread uniformly over its bucket so that the interval also
  carries the histogram's own resolution (small histograms are expanded and resampled).

Percentile intervals under-cover for extreme quantiles of small samples — the p99 of 30 samples
has no sampling distribution to speak of, and no replicate exceeds the largest sample — so the
intervals of quantiles themselves come from order statistics (``latency.intervals``); the
bootstrap serves the mean and the baseline comparison's differences.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from netra_diag.latency.histogram import LatencyHistogram

__all__ = [
    "EXACT_BOOT_LIMIT",
    "BootstrapResult",
    "bootstrap_histogram",
    "bootstrap_values",
    "percentile_interval",
]

EXACT_BOOT_LIMIT = 20_000
_MAX_CELLS = 4_000_000  # resampled values held at once on the exact path (32 MB of float64)


@dataclass(frozen=True, slots=True)
class BootstrapResult:
    """Replicates of each statistic: ``quantiles`` has shape (len(qs), n_boot), ``mean``
    shape (n_boot,)."""

    qs: tuple[float, ...]
    quantiles: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]


def bootstrap_values(
    values: npt.ArrayLike,
    qs: Sequence[float],
    *,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
) -> BootstrapResult:
    """Bootstrap replicates of the ``qs`` quantiles (linear interpolation, as ``np.quantile``)
    and of the mean. Large samples are binned and resampled by ``bootstrap_histogram``."""
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    rng = np.random.default_rng(seed)
    n = x.size
    q_out = np.full((len(qs), n_boot), np.nan)
    m_out = np.full(n_boot, np.nan)
    if n == 0:
        return BootstrapResult(tuple(qs), q_out, m_out)
    if n > EXACT_BOOT_LIMIT:
        return _order_statistic_bootstrap(np.sort(x), qs, n_boot, rng)
    chunk = max(1, _MAX_CELLS // n)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        sample = x[rng.integers(0, n, size=(rows, n))]
        if len(qs):
            q_out[:, start : start + rows] = np.quantile(sample, list(qs), axis=1)
        m_out[start : start + rows] = sample.mean(axis=1)
    return BootstrapResult(tuple(qs), q_out, m_out)


def _order_statistic_bootstrap(
    s: npt.NDArray[np.float64], qs: Sequence[float], n_boot: int, rng: np.random.Generator
) -> BootstrapResult:
    """Replicates of np.quantile's linear interpolation between order statistics r and r + 1,
    drawn from the joint law of the resample's order statistics (see the module docstring)."""
    n = s.size
    q_out = np.empty((len(qs), n_boot))
    for j, q in enumerate(qs):
        h = (n - 1) * q
        r = math.floor(h) + 1  # 1-based rank of the lower order statistic
        frac = h - (r - 1)
        u1 = rng.beta(r, n - r + 1, size=n_boot)
        low = s[np.minimum((n * u1).astype(np.int64), n - 1)]
        if r < n and frac > 0:
            # The next order statistic: the smallest of the n - r uniforms above u1.
            u2 = u1 + (1.0 - u1) * rng.beta(1, n - r, size=n_boot)
            high = s[np.minimum((n * u2).astype(np.int64), n - 1)]
            q_out[j] = low + frac * (high - low)
        else:
            q_out[j] = low
    m_out = s.mean() + s.std() / math.sqrt(n) * rng.standard_normal(n_boot)
    return BootstrapResult(tuple(qs), q_out, m_out)


def bootstrap_histogram(
    hist: LatencyHistogram,
    qs: Sequence[float],
    *,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
) -> BootstrapResult:
    """Bootstrap from a histogram alone. Quantiles use the histogram's rank rule (the
    ``ceil(q * n)``-th smallest value) and replicates spread uniformly over their bucket."""
    rng = np.random.default_rng(seed)
    idx, counts = hist.nonzero()
    n = int(counts.sum())
    q_out = np.full((len(qs), n_boot), np.nan)
    m_out = np.full(n_boot, np.nan)
    if n == 0:
        return BootstrapResult(tuple(qs), q_out, m_out)
    values = hist.value_at_index(idx)
    if n <= EXACT_BOOT_LIMIT:
        # Few enough to expand: resample the bucket values themselves.
        return bootstrap_values(np.repeat(values, counts), qs, n_boot=n_boot, seed=rng)
    lower, upper = hist.bucket_bounds(idx)
    lower = np.clip(lower, max(hist.min, 0.0), max(hist.max, 0.0))
    upper = np.clip(upper, max(hist.min, 0.0), max(hist.max, 0.0))
    cum = np.cumsum(counts)
    for j, q in enumerate(qs):
        rank = min(max(math.ceil(q * n), 1), n)
        # The resample's rank-th smallest value sits at sorted position floor(n * U).
        position = np.minimum(
            (n * rng.beta(rank, n - rank + 1, size=n_boot)).astype(np.int64), n - 1
        )
        bucket = np.searchsorted(cum, position, side="right")
        # Anywhere in the bucket: the histogram does not know where inside it the value was.
        q_out[j] = lower[bucket] + rng.random(n_boot) * (upper[bucket] - lower[bucket])
    variance = float(counts @ (values - hist.mean) ** 2) / n
    m_out = hist.mean + math.sqrt(variance / n) * rng.standard_normal(n_boot)
    return BootstrapResult(tuple(qs), q_out, m_out)


def percentile_interval(
    replicates: npt.NDArray[np.float64], confidence: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(low, high) along the last axis: the (1-c)/2 and (1+c)/2 quantiles of the replicates."""
    alpha = (1.0 - confidence) / 2.0
    if replicates.size == 0 or np.all(np.isnan(replicates)):
        shape = replicates.shape[:-1]
        return np.full(shape, np.nan), np.full(shape, np.nan)
    with warnings.catch_warnings():
        # A statistic with no finite replicate (an empty group) gives NaN bounds, not a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanquantile(replicates, [alpha, 1.0 - alpha], axis=-1)
    return low, high
