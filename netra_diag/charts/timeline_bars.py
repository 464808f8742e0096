"""The plotly traces of the timeline figures: one bar trace per span name and one marker trace
per frame type or finding severity, with their colours and symbols.

A trace holds every lane's points as numeric arrays (:class:`Series`), so a figure of 1,000 runs
stays small. Shared by :mod:`netra_diag.charts.timeline`, :mod:`~netra_diag.charts.timeline_diff`
and :mod:`~netra_diag.charts.live_timeline` (through :func:`span_name`), so a span has one name and
one colour whichever chart shows it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go

from netra_diag.charts.timeline_hover import NO_TERMINAL
from netra_diag.events.model import EventKind
from netra_diag.events.timeline import Span, SpanKind, StallCause
from netra_diag.events.timeline_connects import REFUSED_CONNECT, is_refused_connect

__all__ = [
    "FRAME_SYMBOLS",
    "SEVERITY_STYLE",
    "SPAN_COLORS",
    "Series",
    "bar_trace",
    "finite",
    "is_silence",
    "lane_indices",
    "marker_trace",
    "span_name",
]

SPAN_COLORS: Mapping[str, str] = {
    "connect": "#9ecae1",
    REFUSED_CONNECT: "#fc9272",
    "auth": "#6baed6",
    "waiting": "#c7c7c7",
    "thinking": "#9467bd",
    "tool": "#2ca02c",
    "completion": "#1f77b4",
    "gap": "#7f7f7f",
    "stall (server)": "#d62728",
    "stall (network)": "#ff7f0e",
    "stall (unknown)": "#bc80bd",
    NO_TERMINAL: "#8c564b",
}
FRAME_SYMBOLS: Mapping[EventKind, str] = {
    EventKind.AGENT: "line-ns-open",
    EventKind.CONTROL: "circle-open",
    EventKind.ERROR: "x",
    EventKind.UNKNOWN: "diamond-open",
    EventKind.INVALID: "x-open",
}
SEVERITY_STYLE: Mapping[str, tuple[str, str]] = {
    "error": ("#d62728", "x-thin-open"),
    "warning": ("#ff7f0e", "triangle-up-open"),
    "info": ("#7f7f7f", "circle-open"),
}
_BAR_WIDTH = 0.62


def span_name(span: Span, missing_terminal: bool = False) -> str:
    """The legend name of a span; a run's never-ended silence (``missing_terminal``) is
    :data:`NO_TERMINAL`, not a stall. The diff and live charts name their bars with it too, so
    a span has one name whichever chart shows it."""
    if missing_terminal:
        return NO_TERMINAL
    if span.kind is SpanKind.STALL:
        return f"stall ({span.cause or StallCause.UNKNOWN})"
    return REFUSED_CONNECT if is_refused_connect(span) else str(span.kind)


@dataclass
class Series:
    """Numeric arrays for one trace, grown point by point."""

    x: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    pattern: list[str] = field(default_factory=list)


def finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def lane_indices(values: list[int], n_lanes: int) -> np.ndarray:
    """The lane numbers of a trace's points, in the smallest array that holds them."""
    return np.asarray(values, dtype=np.uint16 if n_lanes < 65535 else np.uint32)


def is_silence(name: str) -> bool:
    """Whether a span name is a silence (a stall, a gap, a missing terminal event)."""
    return name.startswith("stall") or name in ("gap", NO_TERMINAL)


def bar_trace(name: str, series: Series, n_lanes: int, *, showlegend: bool = True) -> go.Bar:
    """The horizontal bars of every span named ``name``."""
    marker: dict[str, object] = {"color": SPAN_COLORS.get(name, "#999999")}
    width = _BAR_WIDTH
    if is_silence(name):
        # Silences are a pale band behind the lane's phases (drawn first, taller, translucent),
        # so the phases they overlap stay readable.
        marker["opacity"] = 0.3
        width = 0.95
    if any(series.pattern):
        marker["pattern"] = {"shape": series.pattern, "fillmode": "overlay", "size": 6}
    elif name == "gap":
        # Grey at the silences' opacity is the waiting bar's grey: dotted, a gap cannot be read
        # as waiting (on the plot and in the legend alike).
        marker["pattern"] = {"shape": ".", "fillmode": "overlay", "size": 5, "solidity": 0.4}
    return go.Bar(
        name=name,
        orientation="h",
        base=[round(b, 3) for b in series.base],
        x=np.asarray(series.x, dtype=np.float32),
        y=lane_indices(series.y, n_lanes),
        width=width,
        marker=marker,
        hovertext=series.text,
        hovertemplate="%{hovertext}<br>%{x:.1f} ms<extra>%{fullData.name}</extra>",
        legendgroup=name,
        showlegend=showlegend,
    )


def marker_trace(
    name: str,
    series: Series,
    n_lanes: int,
    *,
    symbol: str,
    color: str | None = None,
    size: int = 13,
    group: str = "frames",
) -> go.Scattergl:
    """The markers of every frame of one type, or every finding of one severity."""
    marker: dict[str, object] = {"symbol": symbol, "size": size, "line": {"width": 2}}
    if color is not None:
        marker["color"] = color
        marker["line"] = {"width": 2, "color": color}
    return go.Scattergl(
        name=name,
        mode="markers",
        x=np.asarray(series.x, dtype=np.float32),
        y=lane_indices(series.y, n_lanes),
        marker=marker,
        hovertext=series.text,
        hovertemplate="%{hovertext}<br>%{x:.1f} ms<extra>%{fullData.name}</extra>",
        legendgroup=group,
    )
