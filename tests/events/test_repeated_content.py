"""Any two frames of a run with the same content (emit time aside) were a "duplicate_event"
error, so a clean run failed when the agent said "Analyzing..." before each of two tool calls or
streamed the chunk "\\n" twice. Same content is a resend when it repeats the previous event of its
kind at once, or an earlier frame exactly (emit time included), or an id the service set."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.contracts import Rule, check_run
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.resends import distinct
from netra_diag.events.timeline import SpanKind, build_timeline

IDS = {"thread_id": "t1", "run_id": "r1", "user_id": "u1"}


def run(*frames: dict[str, Any], stamps: list[float] | None = None) -> list[TimedEvent]:
    """Frames 0.1 s apart, each stamped by the server 0.1 s after the previous (or ``stamps``)."""
    out = []
    for i, f in enumerate(frames):
        stamp = stamps[i] if stamps is not None else 1757867400.0 + 0.1 * i
        out.append(TimedEvent(parse_frame({**IDS, "timestamp": stamp, **f}), 0.1 * i, None, i))
    return out


START = {"type": "agent_started", "agent_name": "triage"}
DONE = {"type": "agent_completed", "status": "completed", "final_response": "done"}


def thinking(text: str = "Analyzing...") -> dict[str, Any]:
    return {"type": "agent_thinking", "reasoning": text}


def tool(name: str) -> list[dict[str, Any]]:
    return [
        {"type": "tool_executing", "tool_name": name, "parameters": {}},
        {"type": "tool_completed", "tool_name": name, "results": {}, "duration": 0.1},
    ]


def chunk(text: str) -> dict[str, Any]:
    return {"type": "stream_chunk", "content": text}


def test_the_same_thought_before_each_tool_call_is_a_clean_run() -> None:
    events = run(START, thinking(), *tool("a"), thinking(), *tool("b"), DONE)
    report = check_run(events)
    assert report.verdict.startswith("PASS"), report.verdict
    assert len(distinct(events)) == len(events)
    timeline = build_timeline(events)
    assert len([s for s in timeline.spans if s.kind is SpanKind.TOOL]) == 2


def test_a_chunk_streamed_twice_is_a_clean_run() -> None:
    events = run(START, thinking(), chunk("\n"), chunk("ok"), chunk("\n"), *tool("a"), DONE)
    report = check_run(events)
    assert report.verdict.startswith("PASS"), report.verdict


def test_a_frame_sent_again_at_once_is_still_a_duplicate() -> None:
    events = run(START, thinking(), thinking(), *tool("a"), DONE)
    (dup,) = check_run(events).by_rule(Rule.DUPLICATE_EVENT)
    assert dup.message.startswith("agent_thinking at +0.20 s duplicates the one at +0.10 s")


def test_an_unknown_frame_in_between_does_not_hide_a_resend() -> None:
    noise = {"type": "agent_telemetry_snapshot", "metrics": {"tokens": 812}}
    events = run(START, *tool("a")[:1], noise, *tool("a")[:1], tool("a")[1], thinking(), DONE)
    (dup,) = check_run(events).by_rule(Rule.DUPLICATE_EVENT)
    assert dup.message.startswith("tool_executing for a at +0.30 s duplicates")


def test_a_frame_sent_again_later_with_its_emit_time_is_a_duplicate() -> None:
    frames = [START, thinking("first"), *tool("a"), thinking("first"), DONE]
    stamps = [1.0, 2.0, 3.0, 4.0, 2.0, 5.0]  # the thought again, as it was sent at 2.0
    (dup,) = check_run(run(*frames, stamps=stamps)).by_rule(Rule.DUPLICATE_EVENT)
    assert dup.message.startswith("agent_thinking at +0.40 s duplicates the one at +0.10 s")


def test_a_service_id_seen_again_is_a_duplicate_anywhere() -> None:
    a = {**thinking("x"), "event_id": "e1"}
    events = run(START, a, *tool("a"), {**thinking("y"), "event_id": "e1"}, DONE)
    assert check_run(events).by_rule(Rule.DUPLICATE_EVENT)


def test_a_second_start_with_other_content_is_still_a_second_start() -> None:
    events = run(START, thinking(), {**START, "agent_name": "other"}, *tool("a"), DONE)
    assert any("started 2 times" in f.message for f in check_run(events).errors)


def test_the_same_start_again_later_is_a_second_start() -> None:
    events = run(START, thinking(), *tool("a"), START, DONE)
    assert any("started 2 times" in f.message for f in check_run(events).errors)


@given(st.lists(st.sampled_from(["a", "b", "\n"]), min_size=1, max_size=12))
def test_chunks_that_never_repeat_back_to_back_are_never_duplicates(texts: list[str]) -> None:
    texts = [t for t, _ in itertools.groupby(texts)]  # no two equal neighbours
    events = run(START, thinking(), *(chunk(t) for t in texts), DONE)
    assert not check_run(events).by_rule(Rule.DUPLICATE_EVENT)
