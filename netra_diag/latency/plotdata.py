"""Plot-ready data for latency figures, computed without plotting: series from metrics,
histogram outlines, ECDF points, a percentile spectrum on a 1/(1-q) grid and box statistics.

Everything here is pre-binned or sampled on a fixed grid, so what a figure embeds is bounded
whatever the number of samples: at most ``MAX_SERIES`` series, a few hundred points each.
``netra_diag.charts.latency`` turns these into plotly figures.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.latency.histogram import LatencyHistogram

__all__ = [
    "EXACT_POINTS",
    "MAX_SERIES",
    "SPECTRUM_POINTS",
    "Series",
    "as_series",
    "box_stats",
    "count",
    "ecdf_points",
    "empty_reason",
    "finite",
    "limit_series",
    "quantiles_of",
    "spectrum_points",
    "step_outline",
    "to_histogram",
]

Series = npt.NDArray[np.float64] | LatencyHistogram

EXACT_POINTS = 2000  # below this many samples the ECDF is drawn exactly
SPECTRUM_POINTS = 160
MAX_SERIES = 12


def as_series(
    data: Any, *, phase: str | Sequence[str] | None = None, by: str = "phase"
) -> dict[str, Series]:
    if isinstance(data, LatencyHistogram):
        return {"values": data}
    if isinstance(data, Mapping):
        out: dict[str, Series] = {}
        for name, value in data.items():
            if isinstance(value, LatencyHistogram):
                out[str(name)] = value
            else:
                out[str(name)] = finite(np.asarray(value, dtype=np.float64))
        return out
    if isinstance(data, pd.DataFrame):
        if "value_ms" not in data.columns:
            raise LatencyDataError("chart", f"DataFrame has no 'value_ms' column: {list(data)}")
        frame = data
        if "ok" in frame.columns:
            frame = frame[frame["ok"].fillna(False).astype(bool)]
        if phase is not None and "phase" in frame.columns:
            wanted = [phase] if isinstance(phase, str) else list(phase)
            frame = frame[frame["phase"].isin(wanted)]
        if by not in frame.columns:
            return {"values": finite(frame["value_ms"].to_numpy(np.float64))}
        keys = frame[by].astype("object").where(frame[by].notna(), "(none)").astype(str)
        # Different phases are different quantities: grouped by something else (a tool, a
        # user), each phase still gets its own series ("cost_analyzer · tool_duration").
        if by != "phase" and "phase" in frame.columns and frame["phase"].nunique() > 1:
            keys = keys + " · " + frame["phase"].astype(str)
        # Client and server measurements of one thing are different series: pooled, each tool
        # call counted twice (once as timed by the client, once as reported by the server).
        if by != "source" and "source" in frame.columns:
            src = frame["source"].astype("object").where(frame["source"].notna(), "")
            split = src.groupby(keys).transform("nunique") > 1
            keys = keys.where(~split, keys + " (" + src.astype(str) + ")")
        values = pd.to_numeric(frame["value_ms"], errors="coerce")
        return {str(k): finite(v.to_numpy(np.float64)) for k, v in values.groupby(keys, sort=True)}
    return {"values": finite(np.asarray(data, dtype=np.float64).ravel())}


def empty_reason(data: Any, phase: str | Sequence[str] | None) -> str:
    """Why ``as_series(data, phase=...)`` has no sample: the phase has no rows at all, or every
    attempt failed ("connect: 5 attempts, none succeeded" is not "no connect was tried")."""
    wanted = [phase] if isinstance(phase, str) else list(phase or [])
    if not isinstance(data, pd.DataFrame) or "phase" not in data.columns:
        return "no samples"
    rows = data[data["phase"].isin(wanted)] if wanted else data
    if rows.empty:
        return f"no {', '.join(wanted)} measurements in the data" if wanted else "no samples"
    what = ", ".join(wanted) if wanted else "every phase"
    n = len(rows)
    attempts = "attempt" if n == 1 else "attempts"
    return f"{what}: {n} {attempts}, none succeeded (no value to plot)"


def finite(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return x[np.isfinite(x)]


def to_histogram(series: Series) -> LatencyHistogram:
    return series if isinstance(series, LatencyHistogram) else LatencyHistogram.from_values(series)


def count(series: Series) -> int:
    return series.count if isinstance(series, LatencyHistogram) else int(series.size)


def limit_series(series: dict[str, Series]) -> tuple[dict[str, Series], str]:
    if len(series) <= MAX_SERIES:
        return series, ""
    ranked = sorted(series, key=lambda k: -count(series[k]))[:MAX_SERIES]
    note = f" ({MAX_SERIES} largest of {len(series)} series shown)"
    return {k: series[k] for k in sorted(ranked)}, note


def quantiles_of(series: Series, qs: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    if isinstance(series, LatencyHistogram):
        return np.asarray(series.quantile(qs), dtype=np.float64)
    if series.size > 1_000_000:
        return np.asarray(LatencyHistogram.from_values(series).quantile(qs), dtype=np.float64)
    return np.quantile(series, qs)


def step_outline(
    lower: npt.NDArray[np.float64], upper: npt.NDArray[np.float64], counts: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Points for an ``hv`` line tracing bars [lower, upper) of height counts, with gaps at 0."""
    xs: list[float] = [float(lower[0])]
    ys: list[float] = [0.0]
    for i in range(lower.size):
        xs.append(float(lower[i]))
        ys.append(float(counts[i]))
        if i + 1 == lower.size or not math.isclose(upper[i], lower[i + 1], rel_tol=1e-9):
            xs.append(float(upper[i]))
            ys.append(0.0)
    return np.asarray(xs), np.asarray(ys)


def ecdf_points(series: Series, max_points: int = 600) -> tuple[npt.NDArray[np.float64], ...]:
    """The ECDF as points for a step line, starting from 0 at the smallest value: without that
    first point a one-sample series is a single point, which a line does not draw (its legend
    entry stood for nothing on the chart), and every curve began mid-air at 1/n."""
    if not isinstance(series, LatencyHistogram) and series.size <= EXACT_POINTS:
        x = np.sort(series)
        y = np.arange(1, x.size + 1) / x.size
    else:
        x, y = to_histogram(series).cdf()
        if x.size > max_points:
            keep = np.unique(np.linspace(0, x.size - 1, max_points).round().astype(np.int64))
            x, y = x[keep], y[keep]
    if x.size and y[0] > 0:
        x, y = np.r_[x[0], x], np.r_[0.0, y]
    return x, y


def spectrum_points(
    series: Series, points: int = SPECTRUM_POINTS
) -> tuple[npt.NDArray[np.float64], ...]:
    """(x = 1/(1-q), q, value) from the median to the largest quantile the sample reaches."""
    n = count(series)
    top = max(float(n), 2.0)
    x = np.unique(np.concatenate([np.geomspace(1.0, top, points), [2.0, 10.0, 100.0, 1000.0]]))
    x = x[x <= top]
    q = 1.0 - 1.0 / x
    return x, q, quantiles_of(series, q)


def box_stats(series: Series) -> tuple[float, float, float, float, float, float]:
    """(q1, median, q3, lower fence, upper fence, mean): Tukey's box with 1.5 IQR whiskers
    clipped to the data, from the samples or, for a histogram, at bucket resolution."""
    q1, med, q3 = (float(v) for v in quantiles_of(series, np.array([0.25, 0.5, 0.75])))
    iqr = q3 - q1
    if isinstance(series, LatencyHistogram):
        low = max(series.min, q1 - 1.5 * iqr)
        high = min(series.max, q3 + 1.5 * iqr)
        return q1, med, q3, low, high, series.mean
    inside = series[(series >= q1 - 1.5 * iqr) & (series <= q3 + 1.5 * iqr)]
    return q1, med, q3, float(inside.min()), float(inside.max()), float(series.mean())
