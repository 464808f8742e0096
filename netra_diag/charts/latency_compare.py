"""Latency figures that set two things side by side: baseline vs current, and latency as
measured vs corrected for coordinated omission. Data in, ``go.Figure`` out (as
``netra_diag.charts.latency``, which also exports these).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from netra_diag.charts.latency_style import (
    BASELINE_COLOUR,
    CURRENT_COLOUR,
    add_spectrum_points,
    base_layout,
    empty_figure,
    tick_axis,
)
from netra_diag.latency.compare import ComparisonReport
from netra_diag.latency.omission import OmissionReport
from netra_diag.latency.plotdata import (
    Series,
    as_series,
    count,
    finite,
    quantiles_of,
    spectrum_points,
)
from netra_diag.latency.summary import quantile_label

__all__ = ["comparison_figure", "omission_figure"]


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
    # A series without samples on either side has nothing to draw (an empty array is the
    # series "values"): it gets no panel, and with none left the figure says "no samples".
    names = sorted(n for n in set(base) | set(cur) if _count_of(base, n) or _count_of(cur, n))
    title = title or "Baseline vs current"
    if len(names) > max_phases:
        title += f" ({max_phases} of {len(names)} phases shown)"
        names = names[:max_phases]
    if not names:
        return empty_figure(title)
    verdicts: dict[str, str] = {}
    if report is not None:
        for row in report.rows:
            phase_name = str(row.key[0]) if row.key else "values"
            full = f"{phase_name} ({row.key[1]})" if len(row.key) > 1 else phase_name
            verdicts[full] = str(row.verdict)
            verdicts.setdefault(phase_name, str(row.verdict))
    # The sample sizes go in each panel's title: the legend is shared, and its "(n=30)" was the
    # first panel's, read as every panel's.
    subtitles = [f"{n}: {verdicts[n]}" if n in verdicts else n for n in names]
    subtitles = [
        f"{t} (n = {_count_of(base, n)} baseline, {_count_of(cur, n)} current)"
        for t, n in zip(subtitles, names, strict=True)
    ]
    fig = make_subplots(
        rows=len(names), cols=1, subplot_titles=subtitles, vertical_spacing=0.45 / len(names)
    )
    top = 10.0
    for i, name in enumerate(names, start=1):
        tops: list[float] = []
        for label, source, colour in (
            ("baseline", base, BASELINE_COLOUR),
            ("current", cur, CURRENT_COLOUR),
        ):
            s = source.get(name)
            if s is not None and count(s):
                top = max(
                    top, add_spectrum_points(fig, label, s, colour=colour, row=i, legend=(i == 1))
                )
                tops.append(float(np.max(quantiles_of(s, np.array([0.5])))))
        # A 100-fold regression on a linear axis drew the baseline as a flat line at zero.
        log_y = len(tops) == 2 and min(tops) > 0 and max(tops) / min(tops) >= 20
        axis_title = "ms (log scale)" if log_y else "ms"
        fig.update_yaxes(title_text=axis_title, type="log" if log_y else "linear", row=i, col=1)
    for trace in fig.data:
        if trace.showlegend is not False and trace.name:
            trace.name = trace.name.split(" (n=")[0]
    fig.update_xaxes(**tick_axis(top))
    # One x axis title, under the last panel: repeated, each ran into the next panel's title.
    for i in range(1, len(names)):
        fig.update_xaxes(title_text=None, row=i, col=1)
    fig.update_layout(height=max(320, 240 * len(names)))
    return base_layout(fig, title)


def _count_of(series: dict[str, Series], name: str) -> int:
    s = series.get(name)
    return 0 if s is None else count(s)


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
        return base_layout(fig, "Coordinated omission")
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
            marker={"size": 4, "color": CURRENT_COLOUR},
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
        top = max(top, _add_spectrum_cell(fig, "measured", measured, BASELINE_COLOUR))
    if corrected.size:
        label = "corrected" if measured.size else "start delay"
        top = max(top, _add_spectrum_cell(fig, label, corrected, CURRENT_COLOUR))
    fig.update_xaxes(title_text="intended start (s)", row=1, col=1)
    fig.update_yaxes(title_text="delay (ms)", row=1, col=1)
    fig.update_xaxes(**tick_axis(top), row=1, col=2)
    fig.update_yaxes(title_text="latency (ms)", row=1, col=2)
    late = f"{report.late} of {len(frame)} sessions started late"
    fig.update_layout(height=420)
    return base_layout(fig, f"Coordinated omission: {late}")


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
