"""Percentile-bootstrap confidence intervals for quantiles and the mean, vectorised and seeded.

Two resampling paths, chosen by sample size:

* up to ``EXACT_BOOT_LIMIT`` samples: classic resampling with replacement, ``n_boot`` rows of
  ``n`` indexes drawn at once (in chunks that bound memory) and reduced with one
  ``np.quantile(..., axis=1)`` call;
* above it, or when only a histogram is available: a Poisson bootstrap over histogram buckets
  (each bucket's count is redrawn as ``Poisson(count)``, the large-n limit of multinomial
  resampling), which costs ``n_boot x occupied buckets`` instead of ``n_boot x n``.

Percentile intervals under-cover for extreme quantiles of small samples — the p99 of 30 samples
has no sampling distribution to speak of — so ``summary`` marks those estimates unreliable rather
than pretending the interval means something.
"""

from __future__ import annotations

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
    if x.size > EXACT_BOOT_LIMIT:
        return bootstrap_histogram(LatencyHistogram.from_values(x), qs, n_boot=n_boot, seed=rng)
    n = x.size
    q_out = np.full((len(qs), n_boot), np.nan)
    m_out = np.full(n_boot, np.nan)
    if n == 0:
        return BootstrapResult(tuple(qs), q_out, m_out)
    chunk = max(1, _MAX_CELLS // n)
    for start in range(0, n_boot, chunk):
        rows = min(chunk, n_boot - start)
        sample = x[rng.integers(0, n, size=(rows, n))]
        if len(qs):
            q_out[:, start : start + rows] = np.quantile(sample, list(qs), axis=1)
        m_out[start : start + rows] = sample.mean(axis=1)
    return BootstrapResult(tuple(qs), q_out, m_out)


def bootstrap_histogram(
    hist: LatencyHistogram,
    qs: Sequence[float],
    *,
    n_boot: int = 1000,
    seed: int | np.random.Generator = 0,
) -> BootstrapResult:
    """Poisson bootstrap over a histogram's buckets (values at bucket resolution)."""
    rng = np.random.default_rng(seed)
    idx, counts = hist.nonzero()
    q_out = np.full((len(qs), n_boot), np.nan)
    m_out = np.full(n_boot, np.nan)
    if idx.size == 0:
        return BootstrapResult(tuple(qs), q_out, m_out)
    values = hist.value_at_index(idx)
    reps = rng.poisson(counts.astype(np.float64), size=(n_boot, idx.size))
    totals = reps.sum(axis=1)
    valid = totals > 0
    cum = np.cumsum(reps, axis=1)
    for j, q in enumerate(qs):
        target = np.maximum(np.ceil(q * totals), 1)
        pos = np.minimum((cum < target[:, None]).sum(axis=1), idx.size - 1)
        q_out[j] = np.where(valid, values[pos], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_out = np.where(valid, reps @ values / np.maximum(totals, 1), np.nan)
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
