"""Confidence intervals for quantiles from order statistics, with no assumption on the shape of
the distribution.

Of n samples, the number B that fall below the true q-quantile is Binomial(n, q), whatever the
distribution. So the j-th smallest sample lies at or below the quantile with probability
P(B >= j), and the interval [x_(l), x_(u)] with P(B < l) <= alpha/2 and P(B < u) >= 1 - alpha/2
covers it with probability at least 1 - alpha. When no order statistic is far enough out — the
p95 of 30 samples, where even the largest lies above the p95 only with probability 1 - 0.95^30
= 79 % — that side of the interval is unbounded (infinite), which is the honest answer.

The percentile bootstrap used before cannot say that: its replicates never exceed the largest
sample, so the "95 %" interval of the p95 of 10 samples covered the true p95 about half the time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from netra_diag.latency.histogram import LatencyHistogram

__all__ = ["histogram_quantile_intervals", "order_statistic_ranks", "quantile_intervals"]


def _binomial_cdf(n: int, q: float) -> npt.NDArray[np.float64]:
    """P(B <= k) for k = 0..n, B ~ Binomial(n, q), in log space so that n = 10^6 stays exact."""
    k = np.arange(n + 1, dtype=np.float64)
    logs = np.log(np.arange(1, n + 1, dtype=np.float64))
    log_fact = np.concatenate([[0.0], np.cumsum(logs)])
    log_choose = log_fact[n] - log_fact - log_fact[::-1]
    log_pmf = log_choose + k * math.log(q) + (n - k) * math.log1p(-q)
    cdf: npt.NDArray[np.float64] = np.minimum(np.cumsum(np.exp(log_pmf)), 1.0)
    return cdf


def order_statistic_ranks(n: int, q: float, confidence: float) -> tuple[int, int]:
    """1-based ranks (l, u) of the order statistics bounding the q-quantile of n samples at
    ``confidence``; l = 0 when there is no lower bound, u = n + 1 when there is no upper one."""
    if n <= 0:
        return 0, 1
    if q <= 0.0:
        return 0, 1
    if q >= 1.0:
        return n, n + 1
    alpha = (1.0 - confidence) / 2.0
    cdf = _binomial_cdf(n, q)
    # cdf[j - 1] = P(B < j): the lower rank is the largest j with P(B < j) <= alpha.
    low_ok = np.flatnonzero(cdf <= alpha)
    lower = int(low_ok[-1]) + 1 if low_ok.size else 0
    high_ok = np.flatnonzero(cdf >= 1.0 - alpha)
    upper = int(high_ok[0]) + 1 if high_ok.size else n + 1
    return lower, min(upper, n + 1)


def quantile_intervals(
    values: npt.ArrayLike, qs: Sequence[float], confidence: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(low, high) for each quantile in ``qs`` of ``values`` (finite ones); -inf / inf where the
    sample cannot bound that side, NaN for no samples."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    x = x[np.isfinite(x)]
    n = x.size
    low = np.full(len(qs), np.nan)
    high = np.full(len(qs), np.nan)
    if n == 0:
        return low, high
    for j, q in enumerate(qs):
        lower, upper = order_statistic_ranks(n, q, confidence)
        low[j] = x[lower - 1] if lower >= 1 else -math.inf
        high[j] = x[upper - 1] if upper <= n else math.inf
    return low, high


def histogram_quantile_intervals(
    hist: LatencyHistogram, qs: Sequence[float], confidence: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``quantile_intervals`` from a histogram: the same ranks, read at bucket resolution (the
    lower edge of the low rank's bucket, the upper edge of the high rank's) so that the interval
    also carries the histogram's own rounding."""
    idx, counts = hist.nonzero()
    n = int(counts.sum())
    low = np.full(len(qs), np.nan)
    high = np.full(len(qs), np.nan)
    if n == 0:
        return low, high
    lower_edge, upper_edge = hist.bucket_bounds(idx)
    lower_edge = np.maximum(lower_edge, hist.min)
    upper_edge = np.minimum(upper_edge, hist.max)
    cum = np.cumsum(counts)
    for j, q in enumerate(qs):
        lower, upper = order_statistic_ranks(n, q, confidence)
        if lower >= 1:
            low[j] = lower_edge[int(np.searchsorted(cum, lower))]
        else:
            low[j] = -math.inf
        high[j] = upper_edge[int(np.searchsorted(cum, upper))] if upper <= n else math.inf
    return low, high
