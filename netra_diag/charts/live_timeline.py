"""Grow a timeline figure while frames arrive.

``LiveTimeline(figure)`` wraps a ``go.Figure`` (tests, scripts) or a ``go.FigureWidget`` (a
notebook, where every change shows at once); :meth:`LiveTimeline.add` takes each received
:class:`~netra_diag.events.model.TimedEvent` and appends to the figure's trace arrays in place: a
marker for the frame, a bar for every span the frame closed (thinking, a tool call, a stall ...),
and a hatched *in progress* bar for what is still open. The spans come from
:class:`~netra_diag.events.timeline.TimelineBuilder`, so the live picture and the one drawn after
the fact (``timeline_figure``) agree. Axis: milliseconds since the session started, linear.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go

from netra_diag.charts.timeline import (
    SPAN_COLORS,
    frame_hover,
    run_label,
    span_hover,
    span_name,
)
from netra_diag.events.model import TimedEvent
from netra_diag.events.runs import RunKey
from netra_diag.events.timeline import (
    MarkLike,
    Span,
    Timeline,
    TimelineBuilder,
    TimelineConfig,
)

__all__ = ["LiveTimeline"]

_FRAMES = "frames"
_OPEN = "in progress"
# What was still open when the session ended: it never finished, it is not still running.
_CUT = "unfinished: the session closed first"


class LiveTimeline:
    """A figure that grows as frames arrive; see the module docstring."""

    def __init__(
        self,
        figure: go.Figure | go.FigureWidget | None = None,
        *,
        config: TimelineConfig | None = None,
        raw_chars: int = 200,
        title: str = "Live timeline",
    ) -> None:
        self.figure = figure if figure is not None else go.Figure()
        self.builder = TimelineBuilder(config)
        self.raw_chars = raw_chars
        self._lanes: dict[RunKey | None, int] = {None: 0}
        self._traces: dict[str, int] = {}
        self._events: dict[int, TimedEvent] = {}
        with self.figure.batch_update():
            self.figure.update_layout(
                title=title,
                barmode="overlay",
                template="plotly_white",
                hovermode="closest",
            )
            self.figure.update_xaxes(
                type="linear", ticksuffix=" ms", title_text="ms since the session started"
            )
            self._update_lanes()

    # -- input ---------------------------------------------------------------------------------

    def add(self, te: TimedEvent) -> list[Span]:
        """Add one received frame; returns the spans it closed (already drawn)."""
        closed = self.builder.add(te)
        self._events[te.index] = te
        run = self.builder.last_run
        with self.figure.batch_update():
            lane = self._lane(run)
            self._append(
                _FRAMES,
                x=te.t * 1e3,
                y=lane,
                hovertext=frame_hover(te, 0.0, self.raw_chars),
            )
            self._draw(closed)
            self._draw_open()
        return closed

    def add_mark(self, mark: MarkLike) -> list[Span]:
        """Add one lifecycle mark (``connect_start``, ``message_sent``, ``ping_rtt`` ...)."""
        closed = self.builder.add_mark(mark)
        with self.figure.batch_update():
            self._draw(closed)
            self._draw_open()
        return closed

    def extend(self, events: Iterable[TimedEvent]) -> None:
        for te in events:
            self.add(te)

    def timeline(self, end: float | None = None) -> Timeline:
        """The spans so far as a :class:`~netra_diag.events.timeline.Timeline`."""
        return self.builder.finish(end)

    # -- drawing -------------------------------------------------------------------------------

    def _lane(self, run: RunKey | None) -> int:
        if run not in self._lanes:
            self._lanes[run] = len(self._lanes)
            self._update_lanes()
        return self._lanes[run]

    def _update_lanes(self) -> None:
        labels = ["session" if key is None else f"run {run_label(key)}" for key in self._lanes]
        self.figure.update_yaxes(
            tickmode="array",
            tickvals=list(range(len(labels))),
            ticktext=labels,
            autorange="reversed",
            automargin=True,
        )
        self.figure.update_layout(height=max(300, 160 + 40 * len(labels)))

    def _trace(self, name: str) -> Any:
        index = self._traces.get(name)
        if index is None:
            if name == _FRAMES:
                trace: Any = go.Scatter(
                    name=name,
                    mode="markers",
                    x=[],
                    y=[],
                    hovertext=[],
                    marker={"symbol": "line-ns-open", "size": 13, "line": {"width": 2}},
                    hovertemplate="%{hovertext}<extra>frame</extra>",
                )
            else:
                marker: dict[str, Any] = {"color": SPAN_COLORS.get(name, "#bbbbbb")}
                if name == _OPEN:
                    marker["pattern"] = {"shape": "/", "fillmode": "overlay", "size": 6}
                    marker["opacity"] = 0.5
                trace = go.Bar(
                    name=name,
                    orientation="h",
                    base=[],
                    x=[],
                    y=[],
                    width=0.62,
                    hovertext=[],
                    marker=marker,
                    hovertemplate="%{hovertext}<br>%{x:.1f} ms<extra>%{fullData.name}</extra>",
                )
            self.figure.add_trace(trace)
            index = len(self.figure.data) - 1
            self._traces[name] = index
        return self.figure.data[index]

    def _append(self, name: str, **values: Any) -> None:
        trace = self._trace(name)
        for prop, value in values.items():
            current = trace[prop]
            trace[prop] = (*(current if current is not None else ()), value)

    def _draw(self, spans: Iterable[Span]) -> None:
        for span in spans:
            lane = self._lane(span.run)
            opener = self._events.get(span.indices[0]) if span.indices else None
            # A span drawn here was closed by a frame or a mark, so it is never a run's
            # never-ended silence (NO_TERMINAL, which only Timeline.is_missing_terminal can tell
            # once the stream is over): what is still open goes to the "in progress" trace.
            self._append(
                span_name(span),
                base=span.start * 1e3,
                x=span.duration * 1e3,
                y=lane,
                hovertext=span_hover(span, opener, 0.0, self.raw_chars),
            )

    def end(self) -> None:
        """The session is over: what was still open is drawn as cut short by the close (hatched
        "in progress" would read as a tool still running)."""
        if _OPEN in self._traces:
            self._draw_open()
            self.figure.data[self._traces[_OPEN]].name = _CUT

    def _draw_open(self) -> None:
        spans = self.builder.open_spans()
        if not spans and _OPEN not in self._traces:
            return
        trace = self._trace(_OPEN)
        trace.base = [s.start * 1e3 for s in spans]
        trace.x = [s.duration * 1e3 for s in spans]
        trace.y = [self._lane(s.run) for s in spans]
        trace.hovertext = [span_hover(s, None, 0.0, self.raw_chars) for s in spans]
