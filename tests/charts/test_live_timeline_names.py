"""The live timeline names its bars as the timeline drawn after the fact does, with the one
naming function; only what was still open when the session closed is named apart."""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go

from netra_diag.charts import live_timeline, timeline
from netra_diag.charts.live_timeline import LiveTimeline
from netra_diag.charts.timeline import NO_TERMINAL, timeline_figure
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.timeline import Mark, TimelineConfig

CONFIG = TimelineConfig(stall_threshold_s=1.0)
CUT = "unfinished: the session closed first"


def _frame(t: float, index: int, etype: str, **fields: Any) -> TimedEvent:
    body = {"type": etype, "thread_id": "t1", "run_id": "r1", "user_id": "u1", **fields}
    return TimedEvent(parse_frame(json.dumps(body)), t, 1757867400.0 + t, index)


def _stalled_run(*, completed: bool) -> list[TimedEvent]:
    """A run silent for 3 s after its first thought (a stall at a 1 s threshold), then a tool
    call; ``completed``: it ends with ``agent_completed``, else it falls silent again."""
    events = [
        _frame(0.1, 0, "agent_started", agent_name="triage"),
        _frame(0.3, 1, "agent_thinking", reasoning="looking at costs"),
        _frame(3.3, 2, "tool_executing", tool_name="cost_analyzer"),
        _frame(3.5, 3, "tool_completed", tool_name="cost_analyzer", results={"rows": 3}),
    ]
    if completed:
        events.append(_frame(3.7, 4, "agent_completed", status="completed", final_response="ok"))
    return events


def _bar_names(fig: go.Figure) -> set[str]:
    return {trace.name for trace in fig.data if isinstance(trace, go.Bar)}


def _live(events: list[TimedEvent]) -> LiveTimeline:
    live = LiveTimeline(config=CONFIG)
    live.add_mark(Mark("message_sent", 0.0))
    live.extend(events)
    return live


def test_the_live_chart_has_no_naming_function_of_its_own() -> None:
    assert not hasattr(live_timeline, "_name")
    assert live_timeline.span_name is timeline.span_name


def test_closed_spans_are_named_as_the_after_the_fact_chart_names_them() -> None:
    live = _live(_stalled_run(completed=True))
    drawn = timeline_figure(live.timeline())
    names = _bar_names(live.figure) - {"in progress"}
    assert "stall (unknown)" in names  # no pings: nothing tells the server from the network
    assert names == _bar_names(drawn)


def test_a_run_open_at_the_close_is_cut_short_live_and_missing_its_terminal_after() -> None:
    live = _live(_stalled_run(completed=False))
    live.add_mark(Mark("ping_rtt", 6.0, {"rtt_ms": 20.0}))  # time passes, nothing of the run
    live.end()
    live_names = _bar_names(live.figure)
    assert CUT in live_names and "in progress" not in live_names
    # Live, the silence still open is no verdict yet; once over, it is a missing terminal event.
    assert NO_TERMINAL not in live_names
    assert NO_TERMINAL in _bar_names(timeline_figure(live.timeline()))
    # What was closed while the run went on is named the same in both.
    closed = live_names - {CUT}
    assert closed == _bar_names(timeline_figure(live.timeline())) - {NO_TERMINAL}
