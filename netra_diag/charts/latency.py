"""Latency figures: histogram, ECDF, percentile spectrum, box by label, baseline vs current,
coordinated omission. Data in, ``go.Figure`` out; nothing is shown or written.

Every figure is drawn from pre-binned data (``LatencyHistogram`` buckets, a fixed grid of
quantiles, precomputed box statistics), never from the raw samples, so its JSON stays small
(well under 200 KB) whether it summarises 30 samples or 10 million.

Inputs accepted as ``data``: a ``phase_metrics`` DataFrame (rows with ``ok`` False are left out;
one series per ``by`` value, ``phase`` by default), an array of milliseconds, a
``LatencyHistogram``, or a mapping of series name to either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from netra_diag.charts.latency_compare import comparison_figure, omission_figure
from netra_diag.charts.latency_style import (
    Limit,
    add_spectrum_points,
    base_layout,
    empty_figure,
    limit_line,
    log_ticks,
    series_colours,
    sla_limits,
    tick_axis,
)
from netra_diag.errors import LatencyDataError
from netra_diag.latency.histogram import LatencyHistogram
from netra_diag.latency.plotdata import (
    Series,
    as_series,
    box_stats,
    count,
    ecdf_points,
    empty_reason,
    limit_series,
    quantiles_of,
    step_outline,
    to_histogram,
)
from netra_diag.wording import plural

__all__ = [
    "auto_bins",
    "box_figure",
    "comparison_figure",
    "ecdf_figure",
    "histogram_figure",
    "omission_figure",
    "percentile_spectrum_figure",
    "sla_limits",
]


# -- log axes and zeros ------------------------------------------------------------------------


def _largest(series: Series) -> float:
    if isinstance(series, LatencyHistogram):
        return float(series.max)
    return float(series.max()) if series.size else math.nan


def _x_axis(series: dict[str, Series], log_x: bool) -> tuple[bool, str | None]:
    """Whether the x axis is logarithmic, and a note for the plot area. A log axis has no place
    for 0 ms: when no series has a positive value (``auth`` when ``connection_established`` is
    the first frame, see ``netra_diag.latency.phases``) the axis is linear and says so."""
    tops = [_largest(s) for s in series.values() if count(s)]
    if log_x and tops and all(top <= 0 for top in tops):
        return False, "all values 0 ms" if all(top == 0 for top in tops) else "all values ≤ 0 ms"
    return log_x, None


def _latency_axis(
    series: dict[str, Series], log_x: bool, marks: Sequence[float] = ()
) -> dict[str, Any]:
    """The x axis in ms. On a log axis plotly labels only powers of ten and the leading digit
    of the ticks between ("2", "5"), so a range of 12-190 ms read as "2 3 4 5 … 100": ticks
    at 1-2-5 steps carry their whole value."""
    axis: dict[str, Any] = {"title": "latency (ms)", "type": "log" if log_x else "linear"}
    if not log_x:
        return axis
    lows = [_smallest_positive(s) for s in series.values() if count(s)]
    highs = [_largest(s) for s in series.values() if count(s)]
    # Limit lines widen the range the axis shows: its ticks must reach them.
    lows = [v for v in (*lows, *marks) if math.isfinite(v) and v > 0]
    highs = [v for v in (*highs, *marks) if math.isfinite(v) and v > 0]
    if lows and highs:
        values = log_ticks(min(lows), max(highs))
        if len(values) >= 2:
            axis.update(tickvals=values, ticktext=[f"{v:g}" for v in values])
    return axis


def _smallest_positive(series: Series) -> float:
    if isinstance(series, LatencyHistogram):
        return float(series.min) if series.min > 0 else math.nan
    positive = series[series > 0]
    return float(positive.min()) if positive.size else math.nan


def _trace_name(name: str, series: Series, log_x: bool) -> str:
    n = count(series)
    if log_x and _largest(series) <= 0:
        return f"{name} (n={n}, all 0 ms: not on the log axis)"
    if log_x and not isinstance(series, LatencyHistogram):
        zeros = int(np.count_nonzero(series <= 0))
        if zeros:
            # A log axis has no 0: they are drawn at its left edge, which read as "1 µs".
            return f"{name} (n={n}; {zeros} at 0 ms, drawn at the left edge)"
    return f"{name} (n={n})"


def _note(fig: go.Figure, note: str | None) -> None:
    if note:
        fig.add_annotation(text=note, showarrow=False, x=0.5, y=0.95, xref="paper", yref="paper")


# -- histogram ---------------------------------------------------------------------------------


def auto_bins(samples: int, *, most: int = 80) -> int:
    """Bins for a histogram of ``samples`` values: Rice's rule, 2·n^(1/3) (8 for 60 samples, 44
    for 10 000), within [5, ``most``]. A latency histogram's own buckets are 0.1 % wide: plotted
    as they are, a small sample is a comb of one-sample spikes that hides its shape."""
    return min(most, max(5, math.ceil(2 * math.cbrt(samples))))


def histogram_figure(
    data: Any,
    *,
    phase: str | Sequence[str] | None = None,
    by: str = "phase",
    max_bins: int | None = None,
    log_x: bool = True,
    normalize: bool | None = None,
    limits: Sequence[Limit] = (),
    title: str | None = None,
) -> go.Figure:
    """Histogram per series as step outlines over log-spaced bins (at most ``max_bins`` each;
    by default as many as the sample supports, ``auto_bins``).
    ``normalize`` (default: when there are several series) plots fractions instead of counts;
    ``limits`` without a quantile become vertical lines (e.g. an SLA threshold)."""
    series, note = limit_series(as_series(data, phase=phase, by=by))
    title = (title or "Latency histogram") + note
    if not any(count(s) for s in series.values()):
        return empty_figure(title, empty_reason(data, phase))
    norm = len(series) > 1 if normalize is None else normalize
    log_x, axis_note = _x_axis(series, log_x)
    fig = go.Figure()
    for name, s in series.items():
        if not count(s):
            continue
        hist = to_histogram(s)
        bins = hist.bins(max_bins or auto_bins(hist.count), log=log_x, regroup=True)
        x, y = step_outline(
            bins["lower_ms"].to_numpy(np.float64),
            bins["upper_ms"].to_numpy(np.float64),
            bins["fraction" if norm else "count"].to_numpy(np.float64),
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=_trace_name(name, s, log_x),
                mode="lines",
                line={"shape": "hv", "width": 1.5},
                fill="tozeroy",
                opacity=0.6,
                hovertemplate="%{x:.4g} ms: %{y:.4g}<extra>" + name + "</extra>",
            )
        )
    for q, value, label in limits:
        if q is None:
            limit_line(fig, value, label, log=log_x)
    _note(fig, axis_note)
    return base_layout(
        fig,
        title,
        xaxis=_latency_axis(series, log_x, [value for _, value, _ in limits]),
        yaxis={"title": "fraction of samples" if norm else "samples"},
    )


# -- ECDF --------------------------------------------------------------------------------------


def ecdf_figure(
    data: Any,
    *,
    phase: str | Sequence[str] | None = None,
    by: str = "phase",
    log_x: bool = True,
    limits: Sequence[Limit] = (),
    title: str | None = None,
) -> go.Figure:
    """Empirical CDF per series: exact for small samples, at histogram resolution otherwise."""
    series, note = limit_series(as_series(data, phase=phase, by=by))
    title = (title or "Latency ECDF") + note
    if not any(count(s) for s in series.values()):
        return empty_figure(title, empty_reason(data, phase))
    log_x, axis_note = _x_axis(series, log_x)
    fig = go.Figure()
    for name, s in series.items():
        if not count(s):
            continue
        x, y = ecdf_points(s)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=_trace_name(name, s, log_x),
                mode="lines",
                line={"shape": "hv"},
                hovertemplate="%{x:.4g} ms: %{y:.2%} at or below<extra>" + name + "</extra>",
            )
        )
    for q, value, label in limits:
        if q is None:
            limit_line(fig, value, label, log=log_x)
        else:
            fig.add_trace(
                go.Scatter(
                    x=[value],
                    y=[q],
                    mode="markers",
                    marker={"symbol": "x", "size": 11, "color": "black"},
                    name=label,
                )
            )
    _note(fig, axis_note)
    return base_layout(
        fig,
        title,
        xaxis=_latency_axis(series, log_x, [value for _, value, _ in limits]),
        yaxis={"title": "fraction at or below", "range": [0, 1.02]},
    )


# -- percentile spectrum -------------------------------------------------------------------------


def percentile_spectrum_figure(
    data: Any,
    *,
    phase: str | Sequence[str] | None = None,
    by: str = "phase",
    limits: Sequence[Limit] = (),
    log_y: bool | None = None,
    title: str | None = None,
) -> go.Figure:
    """Latency by percentile with x = 1/(1-q) on a log axis, so p99 and p99.9 get as much room
    as p50. The part of each curve with fewer than ten samples beyond it is dotted. ``limits``
    with a quantile are drawn as markers (an SLA ``(0.95, 100.0, "p95 < 100 ms")``), without one
    as horizontal lines. ``log_y`` (default: when the series' medians lie 100-fold or more
    apart, as event_latency's 0.04 ms and run_total's 180 ms do) makes the latency axis log."""
    series, note = limit_series(as_series(data, phase=phase, by=by))
    title = (title or "Latency by percentile") + note
    if not any(count(s) for s in series.values()):
        return empty_figure(title, empty_reason(data, phase))
    fig = go.Figure()
    top = 10.0
    # Each series is two traces (solid, then its dotted tail): left to plotly, the tail took the
    # next colour of the cycle and read as another series' curve.
    palette = series_colours()
    drawn = [name for name, s in series.items() if count(s)]
    if log_y is None:
        medians = [float(quantiles_of(series[n], np.array([0.5]))[0]) for n in drawn]
        positive = [m for m in medians if m > 0]
        # On a linear axis the fast phases lay flat on zero under the slow ones.
        log_y = len(positive) >= 2 and max(positive) / min(positive) >= 100
    for i, name in enumerate(drawn):
        colour = palette[i % len(palette)]
        top = max(top, add_spectrum_points(fig, name, series[name], colour=colour))
    if log_y:
        zero = {n for n in drawn if _largest(series[n]) <= 0}
        for trace in fig.data:
            if trace.legendgroup in zero and trace.showlegend is not False:
                trace.name = f"{trace.name}, all 0 ms: not on the log axis"
    _add_limits(fig, limits, log_y)
    return base_layout(
        fig,
        title,
        xaxis=tick_axis(top),
        yaxis={"title": "latency (ms)", "type": "log" if log_y else "linear"},
    )


def _add_limits(fig: go.Figure, limits: Sequence[Limit], log_y: bool = False) -> None:
    for q, value, label in limits:
        if q is None:
            if log_y and value <= 0:
                continue
            line = {"dash": "dash", "color": "black", "width": 1.5}
            fig.add_shape(
                type="line", x0=0, x1=1, y0=value, y1=value, xref="x domain", yref="y", line=line
            )
            # On a log axis an annotation's position is the exponent (see _limit_line).
            y = math.log10(value) if log_y else value
            fig.add_annotation(
                x=1,
                y=y,
                xref="x domain",
                yref="y",
                text=label,
                showarrow=False,
                xanchor="right",
                yanchor="bottom",
            )
        else:
            fig.add_trace(
                go.Scatter(
                    x=[1.0 / (1.0 - q)],
                    y=[value],
                    mode="markers+text",
                    text=[label],
                    textposition="top center",
                    marker={"symbol": "x", "size": 11, "color": "black"},
                    name=label,
                )
            )


# -- box by label --------------------------------------------------------------------------------


_FEW = 5  # below this many samples a box shows its points as well


def box_figure(
    data: pd.DataFrame,
    *,
    by: str,
    phase: str | None = None,
    max_groups: int = 40,
    log_y: bool | None = None,
    title: str | None = None,
) -> go.Figure:
    """Box per value of ``by`` (``user``, ``run``, ``tool``, ``source``, ``label_<name>``…) from
    precomputed quartiles and 1.5 IQR whiskers; the ``max_groups`` largest groups are shown.
    ``log_y`` defaults to a log axis when the medians lie 100-fold or more apart."""
    if by not in data.columns:
        raise LatencyDataError("box_figure", f"no column {by!r}: {list(data.columns)}")
    series = as_series(data, phase=phase, by=by)
    series = {k: v for k, v in series.items() if count(v)}
    what = f"{phase} " if phase else ""
    title = title or f"Latency {what}by {by}"
    if not series:
        return empty_figure(title, empty_reason(data, phase))
    names = sorted(series, key=lambda k: -count(series[k]))[:max_groups]
    if len(series) > max_groups:
        title += f" ({max_groups} largest of {len(series)} groups)"
    names.sort()
    stats = [(f"{name} (n={count(series[name])})", *box_stats(series[name])) for name in names]
    cols = list(zip(*stats, strict=True))
    if log_y is None:
        # As the spectrum: boxes whose medians lie 100-fold apart flatten the fast ones to zero.
        positive = [m for m in cols[2] if m > 0]
        log_y = len(positive) >= 2 and max(positive) / min(positive) >= 100
    fig = go.Figure(
        go.Box(
            x=list(cols[0]),
            q1=list(cols[1]),
            median=list(cols[2]),
            q3=list(cols[3]),
            lowerfence=list(cols[4]),
            upperfence=list(cols[5]),
            mean=list(cols[6]),
            boxpoints=False,
            name=phase or "latency",
        )
    )
    # A box of two or three samples draws quartiles that were interpolated, not seen: the
    # samples themselves are shown over it, and said to be few.
    few = [
        (label, s)
        for label, s in ((lb, series[n]) for lb, n in zip(cols[0], names, strict=True))
        if isinstance(s, np.ndarray) and s.size < _FEW
    ]
    dots = {"color": "black", "size": 8, "symbol": "circle-open"}
    for label, values in few:
        fig.add_trace(go.Scatter(x=[label] * len(values), y=values, mode="markers", marker=dots))
        fig.data[-1].update(name=label, hovertemplate="%{y:.4g} ms<extra>one sample</extra>")
    if few:
        _note(fig, f"{plural(len(few), 'group')} of fewer than {_FEW} samples: points shown")
    return base_layout(
        fig,
        title,
        xaxis={"title": by},
        yaxis={"title": "latency (ms)", "type": "log" if log_y else "linear"},
        showlegend=False,
    )
