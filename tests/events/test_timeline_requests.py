"""The timeline's waiting phase knew one request at a time. Two runs started concurrently
on one socket: the second request overwrote the first, so the first run "waited" from the
second request and the second run had no waiting at all. A request that got no answer was not
drawn, and the next run waited from it. Requests now queue, each run waits from its own, and an
unanswered one is drawn as such."""

from __future__ import annotations

from typing import Any

from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.runs import RunKey
from netra_diag.events.timeline import Mark, SpanKind, build_timeline

RUN = [
    {"type": "agent_started", "agent_name": "triage"},
    {"type": "agent_thinking", "reasoning": "looking"},
    {"type": "agent_completed", "status": "completed", "final_response": "done"},
]


def _events(*runs: tuple[str, float]) -> list[TimedEvent]:
    """Runs ``(run_id, start)`` with an event every 0.1 s, merged in arrival order."""
    items: list[tuple[float, dict[str, Any]]] = []
    for run_id, t0 in runs:
        ids = {"thread_id": f"t-{run_id}", "run_id": run_id, "user_id": "u1"}
        items += [(t0 + 0.1 * i, {**ids, **f}) for i, f in enumerate(RUN)]
    items.sort(key=lambda item: item[0])
    return [TimedEvent(parse_frame(f), t, None, i) for i, (t, f) in enumerate(items)]


def _sent(t: float) -> list[Mark]:
    # As a cassette has it: the outgoing frame and the session's mark, at one time.
    return [Mark("frame_out", t, {"type": "user_message"}), Mark("message_sent", t, {})]


def _waits(timeline: Any) -> dict[RunKey | None, list[tuple[float, float]]]:
    out: dict[RunKey | None, list[tuple[float, float]]] = {}
    for span in timeline.spans:
        if span.kind is SpanKind.WAITING:
            out.setdefault(span.run, []).append((round(span.start, 3), round(span.end, 3)))
    return out


def test_concurrent_runs_each_wait_from_their_own_request() -> None:
    events = _events(("r1", 0.5), ("r2", 0.55))
    timeline = build_timeline(events, [*_sent(0.0), *_sent(0.1)])
    waits = _waits(timeline)
    assert waits[RunKey("t-r1", "r1")] == [(0.0, 0.5)]
    assert waits[RunKey("t-r2", "r2")] == [(0.1, 0.55)]
    assert None not in waits


def test_an_unanswered_request_is_drawn_and_the_next_run_waits_from_its_own() -> None:
    events = _events(("r1", 0.1), ("r3", 3.1))
    marks = [
        *_sent(0.0),
        Mark("run_end", 0.4, {"outcome": "completed", "n_events": 3, "n_foreign": 0}),
        *_sent(1.0),
        Mark("run_end", 2.0, {"outcome": "timeout", "n_events": 0, "n_foreign": 0}),
        *_sent(3.0),
    ]
    timeline = build_timeline(events, marks)
    waits = _waits(timeline)
    assert waits[RunKey("t-r3", "r3")] == [(3.0, 3.1)]
    (lost,) = [s for s in timeline.spans if s.kind is SpanKind.WAITING and s.run is None]
    assert (lost.start, lost.end, lost.unfinished) == (1.0, 2.0, True)
    assert "none came" in lost.label and "timeout" in lost.label


def test_a_request_still_unanswered_at_the_end_is_drawn_to_the_end() -> None:
    events = _events(("r1", 0.1))
    timeline = build_timeline(events, [*_sent(0.0), *_sent(1.0)], end=4.0)
    (lost,) = [s for s in timeline.spans if s.kind is SpanKind.WAITING and s.run is None]
    assert (lost.start, lost.end, lost.unfinished) == (1.0, 4.0, True)
