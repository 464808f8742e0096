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

Their pieces live beside: the bar and marker traces with their colours (``timeline_bars``), the
lanes and the figure's height (``timeline_lanes``), the hover texts (``timeline_hover``). The names
of ``__all__`` stay importable from here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

import plotly.graph_objects as go

from netra_diag.charts.timeline_bars import (
    FRAME_SYMBOLS,
    SEVERITY_STYLE,
    SPAN_COLORS,
    Series,
    bar_trace,
    finite,
    is_silence,
    marker_trace,
    span_name,
)
from netra_diag.charts.timeline_hover import (
    NO_TERMINAL,
    finding_hover,
    frame_hover,
    raw_hover,
    span_hover,
)
from netra_diag.charts.timeline_lanes import LEAKED_RUN, Lane, lanes_of, lay_out_lanes, run_label
from netra_diag.events.contracts import ContractReport
from netra_diag.events.diff import RunDiff
from netra_diag.events.model import EventKind
from netra_diag.events.runs import RunKey
from netra_diag.events.timeline import SpanKind, Timeline
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


def _collect(
    timelines: Sequence[Timeline],
    reports: Sequence[ContractReport | None],
    lanes: list[Lane],
    by_key: dict[tuple[int, RunKey | None], Lane],
    raw_chars: int,
) -> tuple[dict[str, Series], dict[str, tuple[EventKind, Series]], dict[str, Series]]:
    bars: dict[str, Series] = {}
    frames: dict[str, tuple[EventKind, Series]] = {}
    findings: dict[str, Series] = {}
    for ti, timeline in enumerate(timelines):
        by_index = {te.index: te for te in timeline.events}
        for span in timeline.spans:
            lane = by_key.get((ti, span.run))
            if lane is None or lane.foreign or not finite(span.start, span.end):
                continue
            missing = timeline.is_missing_terminal(span)
            series = bars.setdefault(span_name(span, missing), Series())
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
            _, series = frames.setdefault(te.type or "invalid frame", (te.event.kind, Series()))
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
            series = findings.setdefault(str(finding.severity), Series())
            series.x.append((t - lane.zero) * 1e3)
            series.y.append(lane.index)
            series.text.append(finding_hover(finding))
    return bars, frames, findings


def _figure(
    timelines: Sequence[Timeline],
    reports: Sequence[ContractReport | None],
    *,
    align: Literal["session", "run"],
    max_detail_runs: int,
    raw_chars: int,
    title: str,
) -> go.Figure:
    lanes, by_key = lanes_of(timelines, align, max_detail_runs, reports)
    bars, frames, findings = _collect(timelines, reports, lanes, by_key, raw_chars)
    n = max(1, len(lanes))
    fig = go.Figure()
    for name in sorted(SPAN_COLORS, key=lambda name: not is_silence(name)):
        if name in bars:
            fig.add_trace(bar_trace(name, bars[name], n))
    for name, (kind, series) in frames.items():
        fig.add_trace(marker_trace(name, series, n, symbol=FRAME_SYMBOLS[kind]))
    for severity, (color, symbol) in SEVERITY_STYLE.items():
        if severity in findings:
            fig.add_trace(
                marker_trace(
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
    lay_out_lanes(fig, lanes, title, x_title)
    if align == "session" and len(timelines) == 1:
        _shade_gaps(fig, timelines[0])
    return fig


def _shade_gaps(fig: go.Figure, timeline: Timeline, limit: int = 50) -> None:
    gaps = [s for s in timeline.spans if s.kind is SpanKind.GAP and finite(s.start, s.end)]
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
