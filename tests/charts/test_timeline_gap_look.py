"""A socket gap (no frame at all) was drawn in grey at the silences' opacity, which is the
waiting bar's grey: a session lane silent for 8 s read as 8 s of "waiting". Gaps are dotted now,
on the plot and in the legend alike."""

from __future__ import annotations

import json

import plotly.graph_objects as go

from netra_diag.charts.timeline import timeline_figure
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.timeline import Mark, build_timeline

IDS = {"thread_id": "t1", "run_id": "r1", "user_id": "u1", "timestamp": 1757867400.0}
RUN = [
    {"type": "agent_started", "agent_name": "triage"},
    {"type": "agent_thinking", "reasoning": "looking at costs"},
    {"type": "tool_executing", "tool_name": "q", "parameters": {}},
    {"type": "tool_completed", "tool_name": "q", "results": {}, "duration": 0.2},
    {"type": "agent_completed", "status": "completed", "final_response": "done"},
]


def test_a_gap_does_not_look_like_waiting() -> None:
    # 8 s without any frame after the tool call started.
    events = [
        TimedEvent(
            parse_frame(json.dumps({**IDS, **f})), 0.25 * i + (8.0 if i > 2 else 0.0), None, i
        )
        for i, f in enumerate(RUN)
    ]
    timeline = build_timeline(events, [Mark("message_sent", -0.2, {"type": "user_message"})])
    fig = timeline_figure(timeline)
    bars = {t.name: t for t in fig.data if isinstance(t, go.Bar)}
    assert {"gap", "waiting"} <= set(bars), set(bars)

    def look(bar: go.Bar) -> tuple[object, object]:
        shape = bar.marker.pattern.shape if bar.marker.pattern else None
        return bar.marker.color, shape

    assert bars["gap"].marker.pattern.shape == "."
    assert look(bars["gap"]) != look(bars["waiting"])
