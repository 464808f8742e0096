"""What the latency figures share: their look, and the percentile-spectrum trace several draw.

``netra_diag.charts.latency`` and ``netra_diag.charts.latency_compare`` build on these.
"""

from __future__ import annotations

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
    "series_colours",
    "tick_axis",
]

Limit = tuple[float | None, float, str]  # (quantile or None for a horizontal line, ms, label)

_TEMPLATE = "plotly_white"
BASELINE_COLOUR = "#7f7f7f"
CURRENT_COLOUR = "#d62728"
_TICKS = (1, 2, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000)


def base_layout(fig: go.Figure, title: str, **axes: Any) -> go.Figure:
    fig.update_layout(
        title=title,
        template=_TEMPLATE,
        # (above the plot: below it, at a notebook's height, it ran into the x axis title)
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        margin={"l": 60, "r": 20, "t": 90, "b": 60},
        colorway=list(series_colours()),
        **axes,
    )
    return fig


def series_colours() -> tuple[str, ...]:
    """The colour cycle of every latency figure: the template's ten, and two more so that the
    ``MAX_SERIES`` (12) series a figure shows never share one (a fanout's 11 phase/source series
    did: auth and tool_duration (server) were both blue)."""
    colorway = pio.templates[_TEMPLATE].layout.colorway or ()
    extra = ("#8c564b", "#bcbd22")
    return (*colorway, *extra)


def empty_figure(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text="no samples", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return base_layout(fig, title)


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
