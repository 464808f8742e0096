"""A mergeable latency histogram with bounded relative error (HdrHistogram's log-linear layout).

Values (milliseconds) are quantised to integer units of ``resolution_ms`` and counted in buckets
whose width doubles every ``half`` sub-buckets, where ``half = 2**ceil(log2(2 * 10**digits)) / 2``.
With the default two significant digits ``half`` is 128, so every bucket above the first is at most
1/128 of its lower bound wide and its midpoint is within 1/256 (0.39 %) of any value in it; below
``half`` units the error is at most half a unit. That is the layout of Gil Tene's HdrHistogram
(``counts_index = bucket * half + (v >> bucket)``), computed here with whole-array numpy
operations and ``np.bincount``.

Why not the ``hdrhistogram`` package from PyPI: it is pure Python and records one value per
interpreted ``record_value`` call, far too slow for the 10 M samples a long fan-out produces;
this records them with a handful of whole-array passes (benchmarks/bench_latency.py).
Why not a plain ``np.histogram`` with fixed edges: its relative error is unbounded at the short
end of a latency distribution and its edges must be known before the data, so two files could
not be merged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError

__all__ = ["HISTOGRAM_FORMAT", "LatencyHistogram"]

HISTOGRAM_FORMAT = "netra-latency-histogram"
_CHUNK = 1 << 20  # values per pass: keeps the temporaries in cache instead of a 10 M-wide sweep


class LatencyHistogram:
    """Counts of latency values (ms) in log-linear buckets; mergeable across files and processes.

    ``record`` adds values in place (an accumulator, like HdrHistogram); ``merge`` returns a new
    histogram. ``min``, ``max``, ``mean`` and ``count`` are exact; quantiles are within
    ``relative_error`` of the true order statistic (or ``resolution_ms / 2`` for values below
    ``half * resolution_ms``). Negative values (clock skew) are counted at 0 and reported in
    ``clamped``; NaN and infinities are skipped and counted in ``skipped``.
    """

    def __init__(self, *, resolution_ms: float = 0.001, significant_digits: int = 2) -> None:
        if not (isinstance(resolution_ms, int | float) and 0 < resolution_ms < math.inf):
            raise LatencyDataError("histogram", f"resolution_ms must be > 0, got {resolution_ms!r}")
        if not (isinstance(significant_digits, int) and 1 <= significant_digits <= 5):
            raise LatencyDataError(
                "histogram", f"significant_digits must be 1..5, got {significant_digits!r}"
            )
        self.resolution_ms = float(resolution_ms)
        self.significant_digits = significant_digits
        self._sub_bits = math.ceil(math.log2(2 * 10**significant_digits))
        self._half = 1 << (self._sub_bits - 1)
        self.counts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.count = 0
        self.min = math.inf
        self.max = -math.inf
        self.sum = 0.0
        self.clamped = 0
        self.skipped = 0

    # -- layout ---------------------------------------------------------------------------------

    @property
    def relative_error(self) -> float:
        """Largest relative error of a bucket's midpoint for values >= ``half`` units."""
        return 1.0 / (2 * self._half)

    def same_layout(self, other: LatencyHistogram) -> bool:
        return (
            self.resolution_ms == other.resolution_ms
            and self.significant_digits == other.significant_digits
        )

    def index_of(self, values_ms: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Bucket index of each value (values must be finite; negatives map to bucket 0)."""
        scaled = np.maximum(np.asarray(values_ms, dtype=np.float64), 0.0) / self.resolution_ms
        return self._indexes(np.atleast_1d(scaled)).reshape(np.shape(scaled))

    def _indexes(self, scaled: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """Indexes of non-negative finite values already divided by the resolution.

        HdrHistogram's ``bucket * half + (v >> bucket)``, read straight off the IEEE-754 bits:
        for v >= half, ``v >> bucket`` is the leading one and the top ``h`` fraction bits, so
        ``index = (bits >> (52 - h)) - (1022 + h) * half`` with ``h = log2(half)``. Truncating
        the fraction is the same as flooring first, so no ``floor`` pass is needed; below
        ``half`` the index is the integer part.
        """
        h = self._sub_bits - 1
        idx = scaled.view(np.int64) >> (52 - h)
        idx -= (1022 + h) << h
        small = scaled < self._half
        if small.any():
            idx[small] = scaled[small].astype(np.int64)
        return idx

    def bucket_bounds(self, index: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], ...]:
        """(lower_ms, upper_ms) of each bucket index."""
        idx = np.asarray(index, dtype=np.int64)
        bucket = np.maximum(idx // self._half - 1, 0)
        sub = idx - bucket * self._half
        lower = np.ldexp(sub.astype(np.float64), bucket) * self.resolution_ms
        upper = np.ldexp((sub + 1).astype(np.float64), bucket) * self.resolution_ms
        return lower, upper

    def value_at_index(self, index: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Representative value (bucket midpoint, kept within the recorded min and max)."""
        lower, upper = self.bucket_bounds(index)
        mid = (lower + upper) / 2.0
        if self.count:
            mid = np.clip(mid, max(self.min, 0.0), max(self.max, 0.0))
        return mid

    # -- recording and merging ------------------------------------------------------------------

    def record(self, values_ms: npt.ArrayLike) -> LatencyHistogram:
        """Add values (ms). Returns ``self`` so calls chain."""
        arr = np.asarray(values_ms, dtype=np.float64).ravel()
        for start in range(0, arr.size, _CHUNK):
            self._record_chunk(arr[start : start + _CHUNK])
        return self

    def _record_chunk(self, chunk: npt.NDArray[np.float64]) -> None:
        if chunk.size == 0:
            return
        low, high = float(chunk.min()), float(chunk.max())
        if not (math.isfinite(low) and math.isfinite(high)):  # min/max propagate NaN and inf
            finite = np.isfinite(chunk)
            self.skipped += int(chunk.size - np.count_nonzero(finite))
            chunk = chunk[finite]
            if chunk.size == 0:
                return
            low, high = float(chunk.min()), float(chunk.max())
        self.min, self.max = min(self.min, low), max(self.max, high)
        self.sum += float(chunk.sum())
        self.count += int(chunk.size)
        if low < 0:
            self.clamped += int(np.count_nonzero(chunk < 0))
            scaled = np.maximum(chunk, 0.0)
            scaled /= self.resolution_ms
        else:
            scaled = chunk / self.resolution_ms
        self._add_counts(np.bincount(self._indexes(scaled)))

    def _add_counts(self, counts: npt.NDArray[np.int64]) -> None:
        if counts.size > self.counts.size:
            grown = np.zeros(counts.size, dtype=np.int64)
            grown[: self.counts.size] = self.counts
            self.counts = grown
        self.counts[: counts.size] += counts

    @classmethod
    def from_values(
        cls, values_ms: npt.ArrayLike, *, resolution_ms: float = 0.001, significant_digits: int = 2
    ) -> LatencyHistogram:
        return cls(resolution_ms=resolution_ms, significant_digits=significant_digits).record(
            values_ms
        )

    def copy(self) -> LatencyHistogram:
        out = LatencyHistogram(
            resolution_ms=self.resolution_ms, significant_digits=self.significant_digits
        )
        out.counts = self.counts.copy()
        out.count, out.min, out.max, out.sum = self.count, self.min, self.max, self.sum
        out.clamped, out.skipped = self.clamped, self.skipped
        return out

    def merge(self, *others: LatencyHistogram) -> LatencyHistogram:
        """A new histogram holding this one's counts plus the others' (same layout required)."""
        out = self.copy()
        for other in others:
            if not self.same_layout(other):
                raise LatencyDataError(
                    "histogram merge",
                    f"layouts differ: resolution {self.resolution_ms} ms / "
                    f"{self.significant_digits} digits vs {other.resolution_ms} ms / "
                    f"{other.significant_digits} digits",
                )
            out._add_counts(other.counts)
            out.count += other.count
            out.min, out.max = min(out.min, other.min), max(out.max, other.max)
            out.sum += other.sum
            out.clamped += other.clamped
            out.skipped += other.skipped
        return out

    def __add__(self, other: LatencyHistogram) -> LatencyHistogram:
        return self.merge(other)

    @classmethod
    def merge_all(cls, histograms: Iterable[LatencyHistogram]) -> LatencyHistogram:
        items = list(histograms)
        if not items:
            return cls()
        return items[0].merge(*items[1:])

    # -- reading --------------------------------------------------------------------------------

    @property
    def mean(self) -> float:
        return self.sum / self.count if self.count else math.nan

    def nonzero(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """(bucket indexes, counts) of the occupied buckets, ascending."""
        idx = np.flatnonzero(self.counts)
        return idx.astype(np.int64), self.counts[idx]

    def quantile(self, q: float | npt.ArrayLike) -> Any:
        """Value at quantile ``q`` (scalar or array in [0, 1]): the bucket holding the
        ``ceil(q * count)``-th smallest value; q = 0 and q = 1 give the exact min and max."""
        qs = np.asarray(q, dtype=np.float64)
        if np.any((qs < 0) | (qs > 1)) or np.any(np.isnan(qs)):
            raise LatencyDataError("histogram quantile", f"q must lie in [0, 1], got {q!r}")
        if self.count == 0:
            out = np.full(qs.shape, np.nan)
        else:
            idx, counts = self.nonzero()
            cum = np.cumsum(counts)
            target = np.clip(np.ceil(qs * self.count), 1, self.count)
            pos = np.searchsorted(cum, target, side="left")
            out = self.value_at_index(idx[pos])
            out = np.where(qs <= 0, self.min, np.where(qs >= 1, self.max, out))
        return float(out) if out.ndim == 0 else out

    def cdf(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """(upper_ms, fraction <= upper) for each occupied bucket: an ECDF at bucket resolution."""
        idx, counts = self.nonzero()
        _, upper = self.bucket_bounds(idx)
        frac = np.cumsum(counts) / max(self.count, 1)
        return np.minimum(upper, max(self.max, 0.0)), frac

    def bins(self, max_bins: int = 120, *, log: bool = True, regroup: bool = False) -> pd.DataFrame:
        """Occupied buckets regrouped into at most ``max_bins`` bins for plotting.

        Columns: ``lower_ms``, ``upper_ms``, ``count``, ``fraction``. Bins are geometric
        (``log=True``) or equal-width between the smallest and largest occupied bucket. With
        few occupied buckets they are returned as they are (0.2 % wide) unless ``regroup``:
        a figure of 99 values near 10 ms and one of 50 s drew two slivers, the outlier unseen.
        """
        idx, counts = self.nonzero()
        cols = ["lower_ms", "upper_ms", "count", "fraction"]
        if idx.size == 0:
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols})
        lower, upper = self.bucket_bounds(idx)
        if idx.size <= max_bins and not (regroup and idx.size > 1):
            lo_e, hi_e, cnt = lower, upper, counts
        else:
            lo, hi = float(lower[0]), float(upper[-1])
            if log:
                lo = max(lo, self.resolution_ms)
                edges = np.geomspace(lo, hi, max_bins + 1)
            else:
                edges = np.linspace(lo, hi, max_bins + 1)
            mids = (lower + upper) / 2.0
            which = np.clip(np.searchsorted(edges, mids, side="right") - 1, 0, max_bins - 1)
            cnt = np.bincount(which, weights=counts, minlength=max_bins).astype(np.int64)
            keep = cnt > 0
            lo_e, hi_e, cnt = edges[:-1][keep], edges[1:][keep], cnt[keep]
        return pd.DataFrame(
            {
                "lower_ms": lo_e,
                "upper_ms": hi_e,
                "count": cnt,
                "fraction": cnt / max(self.count, 1),
            }
        )

    # -- serialisation --------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (sparse: only occupied buckets)."""
        idx, counts = self.nonzero()
        return {
            "format": HISTOGRAM_FORMAT,
            "version": 1,
            "resolution_ms": self.resolution_ms,
            "significant_digits": self.significant_digits,
            "count": self.count,
            "min_ms": self.min if self.count else None,
            "max_ms": self.max if self.count else None,
            "sum_ms": self.sum,
            "clamped": self.clamped,
            "skipped": self.skipped,
            "buckets": [[int(i), int(c)] for i, c in zip(idx, counts, strict=True)],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatencyHistogram:
        """Rebuild a histogram from ``to_dict`` output; raises LatencyDataError naming the field."""

        def bad(field: str, reason: str) -> LatencyDataError:
            return LatencyDataError(f"histogram dict field {field!r}", reason)

        if not isinstance(data, Mapping):
            raise LatencyDataError(
                "histogram dict", f"expected an object, got {type(data).__name__}"
            )
        if data.get("format") != HISTOGRAM_FORMAT:
            raise bad("format", f"expected {HISTOGRAM_FORMAT!r}, got {data.get('format')!r}")
        if data.get("version") != 1:
            raise bad("version", f"unsupported version {data.get('version')!r}")
        res, digits = data.get("resolution_ms"), data.get("significant_digits")
        if isinstance(res, bool) or not isinstance(res, int | float) or not 0 < res < math.inf:
            raise bad("resolution_ms", f"must be a positive number, got {res!r}")
        if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 5:
            raise bad("significant_digits", f"must be an integer 1..5, got {digits!r}")
        out = cls(resolution_ms=float(res), significant_digits=digits)
        buckets = data.get("buckets")
        if not isinstance(buckets, list):
            raise bad("buckets", "must be a list of [index, count] pairs")
        pairs: list[tuple[int, int]] = []
        for n, pair in enumerate(buckets):
            ok = (
                isinstance(pair, list | tuple)
                and len(pair) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
                and 0 <= pair[0] < 1 << 18
                and pair[1] >= 0
            )
            if not ok:
                raise bad(
                    "buckets", f"entry {n} is not a [index, count] pair of integers: {pair!r}"
                )
            pairs.append((pair[0], pair[1]))
        total = sum(c for _, c in pairs)
        count = data.get("count")
        if count != total:
            raise bad("count", f"{count!r} does not equal the sum of bucket counts ({total})")
        if pairs:
            idx = np.array([i for i, _ in pairs], dtype=np.int64)
            cnt = np.array([c for _, c in pairs], dtype=np.int64)
            out._add_counts(np.bincount(idx, weights=cnt).astype(np.int64))
        out.count = total
        for name in ("min_ms", "max_ms", "sum_ms"):
            value = data.get(name)
            if total and (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise bad(name, f"must be a finite number, got {value!r}")
        if total:
            out.min, out.max = float(data["min_ms"]), float(data["max_ms"])
            out.sum = float(data["sum_ms"])
            if out.min > out.max:
                raise bad("min_ms", f"{out.min} is greater than max_ms {out.max}")
        for name in ("clamped", "skipped"):
            value = data.get(name, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise bad(name, f"must be a non-negative integer, got {value!r}")
            setattr(out, name, value)
        return out

    def __repr__(self) -> str:
        if not self.count:
            return "LatencyHistogram(empty)"
        return (
            f"LatencyHistogram(count={self.count}, min={self.min:.4g} ms, "
            f"p50={self.quantile(0.5):.4g} ms, max={self.max:.4g} ms)"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyHistogram):
            return NotImplemented
        a, b = self.nonzero(), other.nonzero()
        return (
            self.same_layout(other)
            and self.count == other.count
            and np.array_equal(a[0], b[0])
            and np.array_equal(a[1], b[1])
            and (self.count == 0 or (self.min == other.min and self.max == other.max))
        )

    __hash__ = None  # type: ignore[assignment]
