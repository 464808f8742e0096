"""Timeline figures: where a session's time went, run by run, on a relative millisecond axis.

Spans are horizontal bars (``go.Bar`` with ``base=`` start and ``x=`` duration, ``orientation="h"``)
on a *linear* x axis in milliseconds. ``px.timeline`` is not used: it puts bars on a date axis,
which draws sub-10 s spans wrongly. One trace per span kind (and per event type for the frame
markers) holds every lane's points as numeric arrays, so a figure of 1,000 runs stays small; the
raw-frame hover text (scrubbed, cut) is kept for the first ``max_detail_runs`` lanes only.

Figures: :func:`timeline_figure` (one or more sessions, each with a session lane and one lane per
run), :func:`swimlanes_figure` (runs stacked and aligned at their start, to show variance) and
:func:`diff_figure` (a failing run against a passing one). Builders are pure: data in, a
``go.Figure`` out, never ``.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import plotly.graph_objects as go

from netra_diag.charts.timeline_hover import (
    NO_TERMINAL,
    finding_hover,
    frame_hover,
    raw_hover,
    span_hover,
)
from netra_diag.events.contracts import ContractReport
from netra_diag.events.diff import RunDiff
from netra_diag.events.model import EventKind
from netra_diag.events.runs import RunKey
from netra_diag.events.timeline import Span, SpanKind, StallCause, Timeline
from netra_diag.events.timeline_connects import REFUSED_CONNECT, is_refused_connect
from netra_diag.wording import plural

__all__ = [
    "FRAME_SYMBOLS",
    "LEAKED_RUN",
    "NO_TERMINAL",
    "SEVERITY_STYLE",
    "SPAN_COLORS",
    "diff_figure",
    "frame_hover",
    "raw_hover",
    "run_label",
    "span_hover",
    "span_name",
    "swimlanes_figure",
    "timeline_figure",
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
class _Lane:
    index: int
    label: str
    timeline: int
    run: RunKey | None
    zero: float
    detailed: bool
    # Another user's run, seen through the events leaked of it: its frames and the findings are
    # drawn, not its phases (a leaked tool_executing would show as this session's tool call that
    # never completed).
    foreign: bool = False


# Said after the lane of a run seen only through another user's leaked events.
LEAKED_RUN = "another user's, leaked"


@dataclass
class _Series:
    """Numeric arrays for one trace, grown point by point."""

    x: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    pattern: list[str] = field(default_factory=list)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _y(values: list[int], n_lanes: int) -> np.ndarray:
    return np.asarray(values, dtype=np.uint16 if n_lanes < 65535 else np.uint32)


def _short_id(value: str | None, keep: int = 6) -> str:
    if value is None:
        return "?"
    return value if len(value) <= 2 * keep + 2 else f"{value[:keep]}…{value[-keep:]}"


def run_label(key: RunKey) -> str:
    """A lane label: long generated ids shortened to their ends (the hover shows them whole)."""
    label = f"{_short_id(key.thread_id)}/{_short_id(key.run_id)}"
    return f"{label}#{key.seq + 1}" if key.seq else label


def _lanes(
    timelines: Sequence[Timeline],
    align: Literal["session", "run"],
    max_detail_runs: int,
    reports: Sequence[ContractReport | None] = (),
) -> tuple[list[_Lane], dict[tuple[int, RunKey | None], _Lane]]:
    lanes: list[_Lane] = []
    by_key: dict[tuple[int, RunKey | None], _Lane] = {}
    many = len(timelines) > 1
    n_runs = 0
    for ti, timeline in enumerate(timelines):
        report = reports[ti] if ti < len(reports) else None
        foreign = report.foreign_runs if report is not None else frozenset()
        prefix = f"{timeline.label or f'session {ti + 1}'} · " if many else ""
        if align == "session":
            has_session = any(s.run is None for s in timeline.spans) or any(
                k is None for k in timeline.event_runs
            )
            if has_session or not timeline.runs:
                lane = _Lane(
                    len(lanes), f"{prefix}session", ti, None, 0.0, n_runs < max_detail_runs
                )
                lanes.append(lane)
                by_key[(ti, None)] = lane
        for key in timeline.runs:
            zero = timeline.run_start(key) if align == "run" else 0.0
            detailed = n_runs < max_detail_runs
            label = f"{prefix}run {run_label(key)}"
            leaked = key in foreign
            if leaked:
                label += f" ({LEAKED_RUN})"
            lane = _Lane(len(lanes), label, ti, key, zero, detailed, leaked)
            lanes.append(lane)
            by_key[(ti, key)] = lane
            n_runs += 1
    return lanes, by_key


def _silence(name: str) -> bool:
    return name.startswith("stall") or name in ("gap", NO_TERMINAL)


def _bar(name: str, series: _Series, n_lanes: int, *, showlegend: bool = True) -> go.Bar:
    marker: dict[str, object] = {"color": SPAN_COLORS.get(name, "#999999")}
    width = _BAR_WIDTH
    if _silence(name):
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
        y=_y(series.y, n_lanes),
        width=width,
        marker=marker,
        hovertext=series.text,
        hovertemplate="%{hovertext}<br>%{x:.1f} ms<extra>%{fullData.name}</extra>",
        legendgroup=name,
        showlegend=showlegend,
    )


def _markers(
    name: str,
    series: _Series,
    n_lanes: int,
    *,
    symbol: str,
    color: str | None = None,
    size: int = 13,
    group: str = "frames",
) -> go.Scattergl:
    marker: dict[str, object] = {"symbol": symbol, "size": size, "line": {"width": 2}}
    if color is not None:
        marker["color"] = color
        marker["line"] = {"width": 2, "color": color}
    return go.Scattergl(
        name=name,
        mode="markers",
        x=np.asarray(series.x, dtype=np.float32),
        y=_y(series.y, n_lanes),
        marker=marker,
        hovertext=series.text,
        hovertemplate="%{hovertext}<br>%{x:.1f} ms<extra>%{fullData.name}</extra>",
        legendgroup=group,
    )


def _collect(
    timelines: Sequence[Timeline],
    reports: Sequence[ContractReport | None],
    lanes: list[_Lane],
    by_key: dict[tuple[int, RunKey | None], _Lane],
    raw_chars: int,
) -> tuple[dict[str, _Series], dict[str, tuple[EventKind, _Series]], dict[str, _Series]]:
    bars: dict[str, _Series] = {}
    frames: dict[str, tuple[EventKind, _Series]] = {}
    findings: dict[str, _Series] = {}
    for ti, timeline in enumerate(timelines):
        by_index = {te.index: te for te in timeline.events}
        for span in timeline.spans:
            lane = by_key.get((ti, span.run))
            if lane is None or lane.foreign or not _finite(span.start, span.end):
                continue
            missing = timeline.is_missing_terminal(span)
            series = bars.setdefault(span_name(span, missing), _Series())
            series.base.append((span.start - lane.zero) * 1e3)
            series.x.append(span.duration * 1e3)
            series.y.append(lane.index)
            series.pattern.append("/" if span.unfinished else "")
            opener = by_index.get(span.indices[0]) if span.indices else None
            series.text.append(
                span_hover(span, opener, lane.zero, raw_chars, missing_terminal=missing)
                if lane.detailed
                else ""
            )
        for te, run in zip(timeline.events, timeline.event_runs, strict=True):
            lane = by_key.get((ti, run))
            if lane is None or not math.isfinite(te.t):
                continue
            _, series = frames.setdefault(te.type or "invalid frame", (te.event.kind, _Series()))
            series.x.append((te.t - lane.zero) * 1e3)
            series.y.append(lane.index)
            series.text.append(frame_hover(te, lane.zero, raw_chars) if lane.detailed else "")
        report = reports[ti] if ti < len(reports) else None
        for finding in report.findings if report is not None else ():
            lane = by_key.get((ti, finding.run)) or by_key.get((ti, None))
            if lane is None:
                lane = next((ln for ln in lanes if ln.timeline == ti), None)
            if lane is None:
                continue
            t = finding.t if finding.t is not None and math.isfinite(finding.t) else lane.zero
            series = findings.setdefault(str(finding.severity), _Series())
            series.x.append((t - lane.zero) * 1e3)
            series.y.append(lane.index)
            series.text.append(finding_hover(finding))
    return bars, frames, findings


def _legend_height(fig: go.Figure) -> int:
    """Pixels the figure needs for its whole legend beside the plot: a legend taller than the plot
    scrolls, and what it hides first is at its end, the findings' markers. About 20 px an entry,
    the group gap for each group, and the title, margins and x axis around them."""
    entries = sum(1 for trace in fig.data if trace.showlegend is not False)
    groups = len({trace.legendgroup or trace.name for trace in fig.data})
    return 150 + 20 * entries + 6 * groups


# Pixels per lane wanted, the fewest that still fit a lane's label, and the tallest figure: a
# figure too short for its lanes labels only some, and the bars of an unlabelled lane then read
# as its labelled neighbour's (a fan-out of 40 users is 120 lanes).
_LANE_PX = 26
_LABEL_PX = 14
_MAX_HEIGHT = 4000


def _layout(fig: go.Figure, lanes: list[_Lane], title: str, x_title: str) -> None:
    n = len(lanes)
    height = int(min(_MAX_HEIGHT, max(320, 160 + _LANE_PX * n, _legend_height(fig))))
    step = max(1, math.ceil(_LABEL_PX / ((height - 160) / max(1, n))))
    shown = lanes[::step]
    fig.update_layout(
        title=title,
        barmode="overlay",
        template="plotly_white",
        height=height,
        hovermode="closest",
        legend={"groupclick": "togglegroup", "tracegroupgap": 6},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    fig.update_xaxes(type="linear", title_text=x_title, ticksuffix=" ms", zeroline=True)
    fig.update_yaxes(
        tickmode="array",
        tickvals=[lane.index for lane in shown],
        ticktext=[lane.label for lane in shown],
        # The lanes exactly, first at the top: autorange pads for the frame markers' size, a
        # band of empty lanes above and below that grows with the figure.
        autorange=False,
        range=[max(1, n) - 0.5, -0.5],
        automargin=True,
    )


def _figure(
    timelines: Sequence[Timeline],
    reports: Sequence[ContractReport | None],
    *,
    align: Literal["session", "run"],
    max_detail_runs: int,
    raw_chars: int,
    title: str,
) -> go.Figure:
    lanes, by_key = _lanes(timelines, align, max_detail_runs, reports)
    bars, frames, findings = _collect(timelines, reports, lanes, by_key, raw_chars)
    n = max(1, len(lanes))
    fig = go.Figure()
    for name in sorted(SPAN_COLORS, key=lambda name: not _silence(name)):
        if name in bars:
            fig.add_trace(_bar(name, bars[name], n))
    for name, (kind, series) in frames.items():
        fig.add_trace(_markers(name, series, n, symbol=FRAME_SYMBOLS[kind]))
    for severity, (color, symbol) in SEVERITY_STYLE.items():
        if severity in findings:
            fig.add_trace(
                _markers(
                    f"finding: {severity}",
                    findings[severity],
                    n,
                    symbol=symbol,
                    color=color,
                    size=14,
                    group="findings",
                )
            )
    x_title = "ms since each run started" if align == "run" else "ms since the session started"
    _layout(fig, lanes, title, x_title)
    if align == "session" and len(timelines) == 1:
        _shade_gaps(fig, timelines[0])
    return fig


def _shade_gaps(fig: go.Figure, timeline: Timeline, limit: int = 50) -> None:
    gaps = [s for s in timeline.spans if s.kind is SpanKind.GAP and _finite(s.start, s.end)]
    for gap in gaps[:limit]:
        fig.add_vrect(
            x0=gap.start * 1e3,
            x1=gap.end * 1e3,
            fillcolor=SPAN_COLORS["gap"],
            opacity=0.12,
            layer="below",
            line_width=0,
        )


def _as_list(timelines: Timeline | Iterable[Timeline]) -> list[Timeline]:
    return [timelines] if isinstance(timelines, Timeline) else list(timelines)


def _as_reports(
    reports: ContractReport | Sequence[ContractReport | None] | None, n: int
) -> list[ContractReport | None]:
    if reports is None:
        return [None] * n
    if isinstance(reports, ContractReport):
        return [reports]
    return list(reports)


def timeline_figure(
    timelines: Timeline | Iterable[Timeline],
    *,
    reports: ContractReport | Sequence[ContractReport | None] | None = None,
    max_detail_runs: int = 50,
    raw_chars: int = 300,
    title: str | None = None,
) -> go.Figure:
    """Sessions on their own clock: a *session* lane (connect/auth, gaps, frames outside any run)
    and one lane per run; findings of ``reports`` (aligned with ``timelines``) as markers whose
    hover is the finding's sentence; socket gaps shaded across the lanes."""
    items = _as_list(timelines)
    label = items[0].label if len(items) == 1 and items[0].label else plural(len(items), "session")
    return _figure(
        items,
        _as_reports(reports, len(items)),
        align="session",
        max_detail_runs=max_detail_runs,
        raw_chars=raw_chars,
        title=title or f"Timeline: {label}",
    )


def swimlanes_figure(
    timelines: Timeline | Iterable[Timeline],
    *,
    reports: ContractReport | Sequence[ContractReport | None] | None = None,
    max_detail_runs: int = 50,
    raw_chars: int = 300,
    title: str | None = None,
) -> go.Figure:
    """Every run of every timeline on its own lane, aligned at the run's start (its wait, or its
    first event), so runs stack into a picture of their variance."""
    items = _as_list(timelines)
    n_runs = sum(len(t.runs) for t in items)
    return _figure(
        items,
        _as_reports(reports, len(items)),
        align="run",
        max_detail_runs=max_detail_runs,
        raw_chars=raw_chars,
        title=title or f"{plural(n_runs, 'run')}, aligned at their start",
    )


def diff_figure(diff: RunDiff, *, raw_chars: int = 300, title: str | None = None) -> go.Figure:
    """The aligned diff of a failing run against a passing one (see
    :func:`netra_diag.charts.timeline_diff.diff_figure`, where it is built)."""
    from netra_diag.charts.timeline_diff import diff_figure as build

    return build(diff, raw_chars=raw_chars, title=title)
