"""What the latency figures share: their look, and the percentile-spectrum trace several draw.

``netra_diag.charts.latency`` and ``netra_diag.charts.latency_compare`` build on these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from netra_diag.latency.plotdata import Series, count, spectrum_points
from netra_diag.latency.summary import MIN_TAIL_SAMPLES, quantile_label

__all__ = [
    "BASELINE_COLOUR",
    "CURRENT_COLOUR",
    "Limit",
    "add_spectrum_points",
    "base_layout",
    "empty_figure",
    "limit_line",
    "log_ticks",
    "series_colours",
    "sla_limits",
    "tick_axis",
]

Limit = tuple[float | None, float, str]  # (quantile or None for a horizontal line, ms, label)


def sla_limits(spec: Any, phases: Sequence[str]) -> list[Limit]:
    """The duration limits of SLA ``spec`` (``netra_diag.latency.load_sla``; None: none) on the
    drawn ``phases``, for a figure's ``limits``: a maximum as a line, a percentile as a mark at
    its quantile (drawn on the ECDF; the histogram has no place for it). Without them a figure
    could not be read against the SLA table under it."""
    if spec is None:
        return []
    limits: list[Limit] = []
    for check in spec.checks:
        if check.phase not in phases or check.dimension != "time" or not check.lower_is_better:
            continue
        label = f"{check.phase} {check.rule}"
        if check.statistic == "max":
            limits.append((None, check.threshold, label))
        elif check.quantile is not None:
            limits.append((check.quantile, check.threshold, label))
    return limits


_TEMPLATE = "plotly_white"
BASELINE_COLOUR = "#7f7f7f"
CURRENT_COLOUR = "#d62728"
_TICKS = (1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000)


def base_layout(fig: go.Figure, title: str, **axes: Any) -> go.Figure:
    fig.update_layout(
        title=title,
        template=_TEMPLATE,
        legend=_legend(fig),
        margin={"l": 60, "r": 20, "t": 90, "b": 60},
        colorway=list(series_colours()),
        **axes,
    )
    return fig


# Legend entries that fit one row above the plot at a notebook's width.
_TOP_LEGEND_ENTRIES = 4


def _legend(fig: go.Figure) -> dict[str, Any]:
    """A few entries: one row above the plot. More: a column right of it. A row above that
    wraps (a fanout's 11 phases) grows up into the title, and one below runs into the x axis
    title at a notebook's height; a column scrolls when it is taller than the plot."""
    entries = sum(1 for t in fig.data if t.showlegend is not False)
    if entries <= _TOP_LEGEND_ENTRIES:
        return {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"}
    return {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1.0, "yanchor": "top"}


def series_colours() -> tuple[str, ...]:
    """The colour cycle of every latency figure: the template's ten, and two more so that the
    ``MAX_SERIES`` (12) series a figure shows never share one (a fanout's 11 phase/source series
    did: auth and tool_duration (server) were both blue)."""
    colorway = pio.templates[_TEMPLATE].layout.colorway or ()
    extra = ("#8c564b", "#bcbd22")
    return (*colorway, *extra)


def empty_figure(title: str, why: str = "no samples") -> go.Figure:
    """A figure that says why there is nothing to draw, without axes: empty axes running from
    -1 to 6 read as a plot of nothing rather than as no data."""
    fig = go.Figure()
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return base_layout(fig, title, xaxis={"visible": False}, yaxis={"visible": False})


def log_ticks(low: float, high: float, most: int = 12) -> list[float]:
    """Tick values at 1-2-5 steps (1, 2, 5, 10, 20 …) spanning [low, high], thinned to powers
    of ten, then every other one, when there would be more than ``most``."""
    if not (0 < low <= high) or not math.isfinite(high):
        return []
    first = math.floor(math.log10(low))
    last = math.ceil(math.log10(high))
    for steps in ((1, 2, 5), (1,)):
        ticks = [m * 10.0**e for e in range(first, last + 1) for m in steps]
        ticks = [t for t in ticks if low / 1.5 <= t <= high * 1.5]
        if len(ticks) <= most:
            return ticks
    stride = math.ceil(len(ticks) / most)
    return ticks[::stride]


def tick_axis(top: float) -> dict[str, Any]:
    ticks = [t for t in _TICKS if t <= max(top, 10)]
    text = ["min" if t == 1 else quantile_label(1 - 1 / t) for t in ticks]
    return {
        "type": "log",
        "tickvals": ticks,
        "ticktext": text,
        "title": "percentile (log scale of 1/(1-q): the tail gets the room)",
    }


def add_spectrum_points(
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


def limit_line(fig: go.Figure, value: float, label: str, *, log: bool) -> None:
    """A dashed vertical line at ``value`` ms, labelled along it. Plotly places an annotation
    on a log axis by the exponent, not the value (a shape by the value): ``add_vline``'s label
    for 60 s went to 10^60000 ms, off the figure, leaving lines no one could name."""
    if log and value <= 0:
        return  # no place on a log axis
    line = {"dash": "dash", "color": "black", "width": 1.5}
    fig.add_shape(type="line", x0=value, x1=value, y0=0, y1=1, xref="x", yref="y domain", line=line)
    fig.add_annotation(
        x=math.log10(value) if log else value,
        y=1,
        xref="x",
        yref="y domain",
        text=label,
        showarrow=False,
        textangle=-90,
        xanchor="right",
        yanchor="top",
        font={"size": 11},
    )
