"""No stream, however odd, crashes a check, the timeline builder, the diff or the trace export."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netra_diag.errors import UsageError
from netra_diag.events.contracts import (
    DEFAULT_CHECKS,
    ContractConfig,
    ContractContext,
    Rule,
    check_run,
)
from netra_diag.events.diff import diff_runs
from netra_diag.events.model import Envelope, Event, TimedEvent, parse_frame
from netra_diag.events.timeline import Mark, TimelineBuilder, TimelineConfig, build_timeline
from netra_diag.events.trace import build_trace, dumps_trace

TYPES = [
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
    "final_report",
    "agent_error",
    "tool_error",
    "stream_chunk",
    "heartbeat",
    "pong",
    "connection_established",
    "error_message",
    "system_message",
    "mystery",
    "",
]
ids = st.one_of(
    st.none(),
    st.sampled_from(["t1", "t2", "r1", "r2", "u1", "demo-user-001"]),
    st.integers(),
    st.text(max_size=4),
)
values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=8)
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
times = st.one_of(
    st.floats(min_value=-5, max_value=400, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0]),
)


@st.composite
def frames(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["dict", "event", "text"]))
    if kind == "text":
        return draw(
            st.one_of(
                st.text(max_size=30), st.sampled_from(['{"type": "agent_th', "[]", "null", "{}"])
            )
        )
    body: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for key in ("thread_id", "run_id", "user_id", "tool_name"):
        if draw(st.booleans()):
            body[key] = draw(ids)
    for key in (
        "step_number",
        "timestamp",
        "duration",
        "event",
        "payload",
        "data",
        "results",
        "reasoning",
        "error_code",
    ):
        if draw(st.integers(0, 3)) == 0:
            body[key] = draw(values)
    if kind == "dict":
        return body
    # An Event built directly: fields of any shape, envelope of any kind.
    return Event(
        str(body.pop("type")),
        draw(st.sampled_from(list(Envelope))),
        body,
        draw(st.text(max_size=20)),
        None,
    )


@st.composite
def streams(draw: st.DrawFn) -> list[TimedEvent]:
    items = draw(st.lists(st.tuples(frames(), times), max_size=25))
    out = []
    for i, (body, t) in enumerate(items):
        event = body if isinstance(body, Event) else parse_frame(body)
        out.append(TimedEvent(event, t, None, draw(st.one_of(st.just(i), st.integers(-3, 3)))))
    return out


marks = st.lists(
    st.builds(
        Mark,
        st.sampled_from(
            [
                "connect_start",
                "upgrade_done",
                "message_sent",
                "frame_out",
                "ping_rtt",
                "close",
                "run_end",
                "x",
            ]
        ),
        times,
        st.dictionaries(
            st.sampled_from(
                ["rtt_ms", "code", "type", "reason", "status", "outcome", "n_events", "n_foreign"]
            ),
            st.one_of(values, st.sampled_from(["timeout", "closed", "completed", 0, 1])),
            max_size=4,
        ),
    ),
    max_size=6,
)
contexts = st.builds(
    ContractContext,
    config=st.builds(
        ContractConfig,
        max_gap_s=st.floats(0, 60),
        max_run_s=st.floats(0, 600),
        heartbeat_interval_s=st.floats(0, 60),
    ),
    expected_user=st.one_of(st.none(), st.sampled_from(["u1", "demo-user-001"])),
    expected_threads=st.sampled_from([frozenset(), frozenset({"t1"})]),
    session_end=st.one_of(st.none(), times),
    marks=marks.map(tuple),
)


@settings(max_examples=100)
@given(streams(), contexts)
def test_no_stream_crashes_a_check(events: list[TimedEvent], context: ContractContext) -> None:
    for check in DEFAULT_CHECKS:
        for finding in check(events, context):
            assert finding.message
    report = check_run(events, context=context)
    assert not report.by_rule(Rule.CHECK_CRASHED), report.by_rule(Rule.CHECK_CRASHED)
    assert report.verdict.split(":")[0] in {
        "PASS",
        "PASS with caveats",
        "NOT PROVEN",
        "FAIL",
        "INCONCLUSIVE",
    }
    assert not (report.ok and report.n_agent_events == 0)
    json.dumps(report.to_dict(), default=str)
    assert len(report.to_frame()) == len(report.findings)


@settings(max_examples=100)
@given(streams(), marks, st.one_of(st.none(), times))
def test_no_stream_crashes_the_timeline_diff_or_trace(
    events: list[TimedEvent], extra: list[Mark], end: float | None
) -> None:
    config = TimelineConfig(gap_threshold_s=1.0, stall_threshold_s=1.0)
    timeline = build_timeline(events, extra, config=config, end=end)
    assert all(s.end >= s.start for s in timeline.spans)
    timeline.to_frame()
    for key in timeline.runs:
        timeline.phase_durations(key)
    builder = TimelineBuilder(config)
    for te in events:
        builder.add(te)
        builder.open_spans()
    builder.finish(end)
    text = dumps_trace(build_trace([timeline], reports=[check_run(events)]))
    assert json.loads(text)["traceEvents"] is not None
    try:
        diff = diff_runs(events, events)
    except UsageError:
        assert len(timeline.runs) != 1
    else:
        assert diff.identical and diff.summary
        diff.to_frame()
        diff.phase_frame()


@settings(max_examples=15)
@given(streams(), marks)
def test_no_stream_crashes_the_figures(events: list[TimedEvent], extra: list[Mark]) -> None:
    from netra_diag.charts.live_timeline import LiveTimeline
    from netra_diag.charts.timeline import swimlanes_figure, timeline_figure

    timeline = build_timeline(events, extra, config=TimelineConfig(stall_threshold_s=1.0))
    report = check_run(events)
    for figure in (timeline_figure(timeline, reports=report), swimlanes_figure(timeline)):
        json.loads(figure.to_json())
    live = LiveTimeline()
    for mark in extra:
        live.add_mark(mark)
    live.extend(events)
    live.figure.to_json()
