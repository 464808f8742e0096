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
from plotly.subplots import make_subplots

from netra_diag.errors import LatencyDataError
from netra_diag.latency.compare import ComparisonReport
from netra_diag.latency.omission import OmissionReport
from netra_diag.latency.plotdata import (
    Series,
    as_series,
    box_stats,
    count,
    ecdf_points,
    finite,
    limit_series,
    spectrum_points,
    step_outline,
    to_histogram,
)
from netra_diag.latency.summary import MIN_TAIL_SAMPLES, quantile_label

__all__ = [
    "auto_bins",
    "box_figure",
    "comparison_figure",
    "ecdf_figure",
    "histogram_figure",
    "omission_figure",
    "percentile_spectrum_figure",
]

Limit = tuple[float | None, float, str]  # (quantile or None for a horizontal line, ms, label)

_TEMPLATE = "plotly_white"
_BASELINE_COLOUR = "#7f7f7f"
_CURRENT_COLOUR = "#d62728"
_TICKS = (1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000)


# -- layout ---------------------------------------------------------------------------------------


def _base_layout(fig: go.Figure, title: str, **axes: Any) -> go.Figure:
    fig.update_layout(
        title=title,
        template=_TEMPLATE,
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 60},
        **axes,
    )
    return fig


def _empty(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text="no samples", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return _base_layout(fig, title)


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
        return _empty(title)
    norm = len(series) > 1 if normalize is None else normalize
    fig = go.Figure()
    for name, s in series.items():
        if not count(s):
            continue
        hist = to_histogram(s)
        bins = hist.bins(max_bins or auto_bins(hist.count), log=log_x)
        x, y = step_outline(
            bins["lower_ms"].to_numpy(np.float64),
            bins["upper_ms"].to_numpy(np.float64),
            bins["fraction" if norm else "count"].to_numpy(np.float64),
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=f"{name} (n={hist.count})",
                mode="lines",
                line={"shape": "hv", "width": 1.5},
                fill="tozeroy",
                opacity=0.6,
                hovertemplate="%{x:.4g} ms: %{y:.4g}<extra>" + name + "</extra>",
            )
        )
    for q, value, label in limits:
        if q is None:
            fig.add_vline(x=value, line_dash="dash", line_color="black", annotation_text=label)
    return _base_layout(
        fig,
        title,
        xaxis={"title": "latency (ms)", "type": "log" if log_x else "linear"},
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
        return _empty(title)
    fig = go.Figure()
    for name, s in series.items():
        if not count(s):
            continue
        x, y = ecdf_points(s)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                name=f"{name} (n={count(s)})",
                mode="lines",
                line={"shape": "hv"},
                hovertemplate="%{x:.4g} ms: %{y:.2%} at or below<extra>" + name + "</extra>",
            )
        )
    for q, value, label in limits:
        if q is None:
            fig.add_vline(x=value, line_dash="dash", line_color="black", annotation_text=label)
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
    return _base_layout(
        fig,
        title,
        xaxis={"title": "latency (ms)", "type": "log" if log_x else "linear"},
        yaxis={"title": "fraction at or below", "range": [0, 1.02]},
    )


# -- percentile spectrum -------------------------------------------------------------------------


def _tick_axis(top: float) -> dict[str, Any]:
    ticks = [t for t in _TICKS if t <= max(top, 10)]
    text = ["min" if t == 1 else quantile_label(1 - 1 / t) for t in ticks]
    return {
        "type": "log",
        "tickvals": ticks,
        "ticktext": text,
        "title": "percentile (log scale of 1/(1-q): the tail gets the room)",
    }


def _addspectrum_points(
    fig: go.Figure,
    name: str,
    series: Series,
    *,
    colour: str | None = None,
    row: int | None = None,
    legend: bool = True,
) -> float:
    x, q, y = spectrum_points(series)
    n = count(series)
    # Beyond n/MIN_TAIL_SAMPLES fewer than ten samples lie above the quantile: draw it dotted.
    solid = x <= max(n / MIN_TAIL_SAMPLES, 1.0)
    label = [quantile_label(v) for v in q]
    kw: dict[str, Any] = {} if row is None else {"row": row, "col": 1}
    line: dict[str, Any] = {} if colour is None else {"color": colour}
    fig.add_trace(
        go.Scatter(
            x=x[solid],
            y=y[solid],
            customdata=np.asarray(label, dtype=object)[solid],
            name=f"{name} (n={n})",
            legendgroup=name,
            showlegend=legend,
            mode="lines",
            line=line,
            hovertemplate="%{customdata}: %{y:.4g} ms<extra>" + name + "</extra>",
        ),
        **kw,
    )
    tail = ~solid
    if tail.any():
        first = max(int(np.argmax(tail)) - 1, 0)
        fig.add_trace(
            go.Scatter(
                x=x[first:],
                y=y[first:],
                customdata=np.asarray(label, dtype=object)[first:],
                name=f"{name}: < {MIN_TAIL_SAMPLES} samples beyond",
                legendgroup=name,
                showlegend=False,
                mode="lines",
                line={**line, "dash": "dot"},
                hovertemplate="%{customdata}: %{y:.4g} ms (fewer than "
                f"{MIN_TAIL_SAMPLES} samples beyond)<extra>{name}</extra>",
            ),
            **kw,
        )
    return float(x.max()) if x.size else 1.0


def percentile_spectrum_figure(
    data: Any,
    *,
    phase: str | Sequence[str] | None = None,
    by: str = "phase",
    limits: Sequence[Limit] = (),
    log_y: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Latency by percentile with x = 1/(1-q) on a log axis, so p99 and p99.9 get as much room
    as p50. The part of each curve with fewer than ten samples beyond it is dotted. ``limits``
    with a quantile are drawn as markers (an SLA ``(0.95, 100.0, "p95 < 100 ms")``), without one
    as horizontal lines."""
    series, note = limit_series(as_series(data, phase=phase, by=by))
    title = (title or "Latency by percentile") + note
    if not any(count(s) for s in series.values()):
        return _empty(title)
    fig = go.Figure()
    top = 10.0
    for name, s in series.items():
        if count(s):
            top = max(top, _addspectrum_points(fig, name, s))
    _add_limits(fig, limits)
    return _base_layout(
        fig,
        title,
        xaxis=_tick_axis(top),
        yaxis={"title": "latency (ms)", "type": "log" if log_y else "linear"},
    )


def _add_limits(fig: go.Figure, limits: Sequence[Limit]) -> None:
    for q, value, label in limits:
        if q is None:
            fig.add_hline(y=value, line_dash="dash", line_color="black", annotation_text=label)
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


def box_figure(
    data: pd.DataFrame,
    *,
    by: str,
    phase: str | None = None,
    max_groups: int = 40,
    log_y: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Box per value of ``by`` (``user``, ``run``, ``tool``, ``source``, ``label_<name>``…) from
    precomputed quartiles and 1.5 IQR whiskers; the ``max_groups`` largest groups are shown."""
    if by not in data.columns:
        raise LatencyDataError("box_figure", f"no column {by!r}: {list(data.columns)}")
    series = as_series(data, phase=phase, by=by)
    series = {k: v for k, v in series.items() if count(v)}
    what = f"{phase} " if phase else ""
    title = title or f"Latency {what}by {by}"
    if not series:
        return _empty(title)
    names = sorted(series, key=lambda k: -count(series[k]))[:max_groups]
    if len(series) > max_groups:
        title += f" ({max_groups} largest of {len(series)} groups)"
    names.sort()
    stats = [(f"{name} (n={count(series[name])})", *box_stats(series[name])) for name in names]
    cols = list(zip(*stats, strict=True))
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
    return _base_layout(
        fig,
        title,
        xaxis={"title": by},
        yaxis={"title": "latency (ms)", "type": "log" if log_y else "linear"},
        showlegend=False,
    )


# -- baseline vs current -------------------------------------------------------------------------


def comparison_figure(
    baseline: Any,
    current: Any,
    *,
    phase: str | Sequence[str] | None = None,
    report: ComparisonReport | None = None,
    max_phases: int = 8,
    title: str | None = None,
) -> go.Figure:
    """Baseline (grey) and current (red) percentile spectra, one panel per phase, each titled
    with the verdict from ``report`` when given."""
    base = as_series(baseline, phase=phase)
    cur = as_series(current, phase=phase)
    names = sorted(set(base) | set(cur))
    title = title or "Baseline vs current"
    if len(names) > max_phases:
        title += f" ({max_phases} of {len(names)} phases shown)"
        names = names[:max_phases]
    if not names:
        return _empty(title)
    verdicts: dict[str, str] = {}
    if report is not None:
        for row in report.rows:
            phase_name = str(row.key[0]) if row.key else "values"
            full = f"{phase_name} ({row.key[1]})" if len(row.key) > 1 else phase_name
            verdicts[full] = str(row.verdict)
            verdicts.setdefault(phase_name, str(row.verdict))
    subtitles = [f"{n}: {verdicts[n]}" if n in verdicts else n for n in names]
    fig = make_subplots(
        rows=len(names), cols=1, subplot_titles=subtitles, vertical_spacing=0.3 / len(names)
    )
    top = 10.0
    for i, name in enumerate(names, start=1):
        for label, source, colour in (
            ("baseline", base, _BASELINE_COLOUR),
            ("current", cur, _CURRENT_COLOUR),
        ):
            s = source.get(name)
            if s is not None and count(s):
                top = max(
                    top, _addspectrum_points(fig, label, s, colour=colour, row=i, legend=(i == 1))
                )
        fig.update_yaxes(title_text="ms", row=i, col=1)
    fig.update_xaxes(**_tick_axis(top))
    fig.update_layout(height=max(320, 240 * len(names)))
    return _base_layout(fig, title)


# -- coordinated omission ------------------------------------------------------------------------


def omission_figure(report: OmissionReport, *, max_points: int = 1500) -> go.Figure:
    """Left: how late each session started against its intended slot. Right: latency by
    percentile as measured and as corrected for coordinated omission."""
    frame = report.frame
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("start delay per session", "latency by percentile"),
        column_widths=[0.45, 0.55],
    )
    if frame.empty:
        fig.add_annotation(
            text="no sessions", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper"
        )
        return _base_layout(fig, "Coordinated omission")
    x = frame["intended_ms"].to_numpy(np.float64) / 1000.0
    delay = frame["start_delay_ms"].to_numpy(np.float64)
    if x.size > max_points:
        # Keep the shape without every point: the worst delay in each slice of the schedule.
        edges = np.linspace(np.nanmin(x), np.nanmax(x), max_points + 1)
        which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max_points - 1)
        worst = np.full(max_points, np.nan)
        np.fmax.at(worst, which, delay)
        keep = np.isfinite(worst)
        x, delay = ((edges[:-1] + edges[1:]) / 2)[keep], worst[keep]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=delay,
            mode="markers",
            marker={"size": 4, "color": _CURRENT_COLOUR},
            name="start delay",
            hovertemplate="intended +%{x:.3f} s: started %{y:.4g} ms late<extra></extra>",
        ),
        row=1,
        col=1,
    )
    top = 10.0
    measured = finite(report.measured)
    corrected = finite(report.corrected)
    if measured.size:
        top = max(top, _add_spectrum_cell(fig, "measured", measured, _BASELINE_COLOUR))
    if corrected.size:
        label = "corrected" if measured.size else "start delay"
        top = max(top, _add_spectrum_cell(fig, label, corrected, _CURRENT_COLOUR))
    fig.update_xaxes(title_text="intended start (s)", row=1, col=1)
    fig.update_yaxes(title_text="delay (ms)", row=1, col=1)
    fig.update_xaxes(**_tick_axis(top), row=1, col=2)
    fig.update_yaxes(title_text="latency (ms)", row=1, col=2)
    late = f"{report.late} of {len(frame)} sessions started late"
    fig.update_layout(height=420)
    return _base_layout(fig, f"Coordinated omission: {late}")


def _add_spectrum_cell(fig: go.Figure, name: str, values: Series, colour: str) -> float:
    x, q, y = spectrum_points(values)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            customdata=[quantile_label(v) for v in q],
            mode="lines",
            line={"color": colour},
            name=f"{name} (n={count(values)})",
            hovertemplate="%{customdata}: %{y:.4g} ms<extra>" + name + "</extra>",
        ),
        row=1,
        col=2,
    )
    return float(x.max()) if x.size else 1.0
