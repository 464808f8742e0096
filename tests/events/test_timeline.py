"""Spans, silences and run grouping from hand-written streams."""

from __future__ import annotations

import pytest
from event_streams import Item, frame, golden_run, stream, timed

from netra_diag.events.model import Envelope, Event, TimedEvent, parse_frame
from netra_diag.events.runs import ANONYMOUS_RUN, RunKey, group_runs
from netra_diag.events.timeline import (
    Mark,
    SpanKind,
    StallCause,
    TimelineBuilder,
    TimelineConfig,
    attribute_stall,
    build_timeline,
)

R1 = RunKey("t1", "r1")


def kinds(spans: object) -> list[str]:
    return [str(s.kind) for s in spans]  # type: ignore[attr-defined]


def test_phases_partition_a_run() -> None:
    marks = [
        Mark("connect_start", 0.0),
        Mark("upgrade_done", 0.02, {"status": 101}),
        Mark("message_sent", 0.1, {"type": "user_message"}),
    ]
    events = timed([(0.05, {"type": "connection_established"})]) + timed(
        golden_run(t0=0.3, tools=("a", "b")), start_index=1
    )
    timeline = build_timeline(events, marks)
    assert kinds(timeline.spans_of(None)) == ["connect", "auth"]
    run = timeline.spans_of(R1)
    assert kinds(run) == ["waiting", "thinking", "tool", "thinking", "tool", "completion"]
    assert [round(s.start, 2) for s in run] == [0.1, 0.3, 0.8, 1.05, 1.3, 1.55]
    assert [round(s.end, 2) for s in run] == [0.3, 0.8, 1.05, 1.3, 1.55, 1.8]
    assert [s.label for s in run if s.kind is SpanKind.TOOL] == ["a", "b"]
    assert run[1].detail == "looking at costs"
    assert timeline.run_start(R1) == pytest.approx(0.1)
    phases = timeline.phase_durations(R1)
    assert phases["waiting"] == pytest.approx(0.2)
    assert phases["tool:a"] == pytest.approx(0.25)
    assert phases["total"] == pytest.approx(1.7)


def test_thinking_after_the_last_tool_then_completion() -> None:
    items = golden_run()
    items.insert(4, (0.8, frame("agent_thinking", reasoning="wrap up", step_number=2)))
    items[-1] = (1.2, items[-1][1])
    spans = build_timeline(stream(items)).spans_of(R1)
    assert kinds(spans) == ["thinking", "tool", "thinking", "completion"]
    assert (spans[2].start, spans[2].end) == (0.75, 0.8)
    assert (spans[3].start, spans[3].end) == (0.8, 1.2)


def test_unfinished_run_closes_at_the_end() -> None:
    items = golden_run()[:3]  # started, thinking, tool_executing
    timeline = build_timeline(stream(items), end=10.0, config=TimelineConfig(stall_threshold_s=5))
    spans = timeline.spans_of(R1)
    assert kinds(spans) == ["thinking", "tool", "stall"]
    tool, stall = spans[1], spans[2]
    assert tool.unfinished and tool.end == 10.0 and "never completed" in tool.detail
    assert stall.unfinished and stall.cause is StallCause.UNKNOWN and stall.start == 0.5


def test_tool_error_ends_the_tool_span() -> None:
    items = golden_run()
    items[3] = (items[3][0], frame("tool_error", tool_name="cost_analyzer", error="boom"))
    (tool,) = [s for s in build_timeline(stream(items)).spans if s.kind is SpanKind.TOOL]
    assert "ended with tool_error" in tool.detail and not tool.unfinished


def test_gaps_between_any_frames() -> None:
    events = stream([(0.0, {"type": "connection_established"}), (7.0, {"type": "heartbeat"})])
    connect, gap = build_timeline(events).spans
    assert connect.kind is SpanKind.CONNECT and connect.label == "connect/auth"
    assert gap.kind is SpanKind.GAP and (gap.start, gap.end) == (0.0, 7.0)
    assert gap.label == "no frame for 7.0 s" and gap.indices == (0, 1)
    quiet = build_timeline(events, config=TimelineConfig(gap_threshold_s=8))
    assert kinds(quiet.spans) == ["connect"]


def test_stall_attributed_to_server_when_pings_are_answered() -> None:
    items = golden_run()
    items[-1] = (9.0, items[-1][1])
    marks = [Mark("ping_rtt", 0.1, {"rtt_ms": 10}), Mark("ping_rtt", 4.0, {"rtt_ms": 12})]
    marks += [Mark("ping_rtt", 8.0, {"rtt_ms": 11})]
    (stall,) = [s for s in build_timeline(stream(items), marks).spans if s.kind is SpanKind.STALL]
    assert stall.cause is StallCause.SERVER
    assert (stall.start, stall.end) == (0.75, 9.0)
    assert "2 pings answered in at most 12 ms during the stall" in stall.detail
    assert stall.label == "stall 8.2 s (server)"


def test_stall_attributed_to_network_when_pings_are_late_or_lost() -> None:
    items = golden_run()
    items[-1] = (9.0, items[-1][1])
    late = [Mark("ping_rtt", 0.1, {"rtt_ms": 10}), Mark("ping_rtt", 4.0, {"rtt_ms": 2500})]
    (stall,) = [s for s in build_timeline(stream(items), late).spans if s.kind is SpanKind.STALL]
    assert stall.cause is StallCause.NETWORK and "worst 2500 ms" in stall.detail
    lost = [Mark("ping_rtt", 0.1, {"rtt_ms": 10}), Mark("ping_rtt", 4.0, {"rtt_ms": None})]
    (stall,) = [s for s in build_timeline(stream(items), lost).spans if s.kind is SpanKind.STALL]
    assert stall.cause is StallCause.NETWORK and "1 lost" in stall.detail


def test_a_silent_wait_is_a_stall_too() -> None:
    events = stream(golden_run(t0=6.0))
    marks = [Mark("message_sent", 0.0), Mark("ping_rtt", 3.0, {"rtt_ms": 8})]
    spans = build_timeline(events, marks).spans_of(R1)
    assert kinds(spans)[:2] == ["waiting", "stall"]
    assert spans[1].cause is StallCause.SERVER
    assert spans[1].label == "stall 6.0 s before the first event (server)"


def test_attribute_stall_limits() -> None:
    config = TimelineConfig(ping_late_ms=100, ping_late_factor=3)
    # Usual 50 ms outside the stall: 140 ms is late by the factor (150 is the limit), 160 is.
    samples = [(0.0, 50.0), (1.0, 50.0), (5.0, 140.0)]
    assert attribute_stall(2.0, 6.0, samples, config)[0] is StallCause.SERVER
    samples = [(0.0, 50.0), (1.0, 50.0), (5.0, 160.0)]
    assert attribute_stall(2.0, 6.0, samples, config)[0] is StallCause.NETWORK
    assert attribute_stall(2.0, 6.0, [(0.0, 5.0)], config)[0] is StallCause.UNKNOWN


def test_incremental_builder_matches_batch() -> None:
    events = stream(golden_run(), golden_run(run="r2", t0=8.0, tools=("a", "b")))
    marks = [
        Mark("message_sent", -0.05),
        Mark("message_sent", 7.9),
        Mark("ping_rtt", 3.0, {"rtt_ms": 9}),
    ]
    batch = build_timeline(events, marks)
    builder = TimelineBuilder()
    closed = []
    pending = sorted(marks, key=lambda m: m.t)
    for te in events:
        while pending and pending[0].t <= te.t:
            closed += builder.add_mark(pending.pop(0))
        closed += builder.add(te)
    assert tuple(closed) == batch.spans == builder.finish().spans
    assert builder.runs == (R1, RunKey("t1", "r2"))


def test_open_spans_grow_until_closed() -> None:
    builder = TimelineBuilder(TimelineConfig(stall_threshold_s=1.0))
    builder.add_mark(Mark("message_sent", 0.0))
    assert kinds(builder.open_spans(0.5)) == ["waiting"]
    for te in stream(golden_run()[:3]):
        builder.add(te)
    before = builder.spans
    opened = builder.open_spans(3.0)
    assert builder.spans == before  # looking does not close anything
    assert kinds(opened) == ["tool", "stall"]
    assert all(s.unfinished and s.end == 3.0 for s in opened)
    assert builder.last_run == R1


def test_resent_frame_opens_nothing() -> None:
    items = golden_run()
    items.insert(3, (0.55, items[2][1]))  # tool_executing again
    tools = [s for s in build_timeline(stream(items)).spans if s.kind is SpanKind.TOOL]
    assert len(tools) == 1 and not tools[0].unfinished


def test_bad_times_never_make_bad_spans() -> None:
    events = stream(golden_run())
    weird = [
        TimedEvent(te.event, t, None, te.index)
        for te, t in zip(events, [0, float("nan"), 2, 1, float("inf")], strict=True)
    ]
    timeline = build_timeline(weird)
    assert all(s.end >= s.start for s in timeline.spans)


def test_to_frame_columns() -> None:
    frame_ = build_timeline(stream(golden_run())).to_frame()
    assert list(frame_.columns) == [
        "run",
        "kind",
        "label",
        "start_ms",
        "end_ms",
        "duration_ms",
        "cause",
        "unfinished",
        "indices",
        "detail",
    ]
    assert frame_["duration_ms"].tolist() == [500.0, 250.0, 250.0]


# -- run grouping ------------------------------------------------------------------------------


def test_runs_keyed_by_thread_and_run() -> None:
    events = stream(golden_run(run="r1"), golden_run(run="r2", t0=2), golden_run(thread="t2", t0=4))
    runs = group_runs(events)
    assert [str(r.key) for r in runs] == ["t1/r1", "t1/r2", "t2/r1"]
    assert all(len(r.events) == 5 for r in runs)


def test_missing_ids_resolved_from_the_rest_of_the_stream() -> None:
    # Bridge frames carry run_id only; old fallback frames thread_id only.
    items: list[Item] = [
        (
            0.0,
            {"type": "agent_started", "event": "agent_started", "thread_id": "t1", "user_id": "u1"},
        ),
        (0.1, {"type": "agent_thinking", "run_id": "r1", "data": {"reasoning": "x"}}),
        (0.2, frame("tool_executing", tool_name="a", parameters={})),
        (0.3, {"type": "agent_completed", "status": "ok"}),
        (0.4, {"type": "heartbeat"}),
    ]
    (run,) = group_runs(timed(items))
    assert run.key == R1 and len(run.events) == 4


def test_control_frames_are_in_no_run_and_id_less_events_share_one() -> None:
    events = timed([(0.0, {"type": "pong"}), (0.1, {"type": "agent_started"})])
    (run,) = group_runs(events)
    assert run.key == ANONYMOUS_RUN and [te.index for te in run.events] == [1]
    assert str(ANONYMOUS_RUN) == "?/?"


def test_invalid_events_belong_nowhere() -> None:
    events = [
        TimedEvent(Event("", Envelope.INVALID, {}, "x", "bad"), 0.0),
        TimedEvent(parse_frame("[]"), 1.0),
    ]
    assert group_runs(events) == ()


def test_marks_of_a_live_session_are_accepted_as_they_are() -> None:
    from netra_diag.live import Mark as LiveMark

    live = [LiveMark("message_sent", 0.0, 1764028800.0, {"type": "user_message"})]
    spans = build_timeline(stream(golden_run(t0=0.2)), live).spans_of(R1)
    assert kinds(spans)[0] == "waiting" and spans[0].start == 0.0
