"""A request the service never answered left no run behind, and every rule is about runs:
a session whose first run completed and whose second request got nothing until the client gave
up read "PASS: 1 run, every contract held". The client's ``run_end`` mark (outcome ``timeout``,
no event of its own) is now an ``unanswered_request`` error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.events.contracts import Rule, Severity, check_run
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.rules.base import ContractContext
from netra_diag.events.sources import load_cassette_stream
from netra_diag.events.timeline import Mark
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


async def test_a_second_request_left_unanswered_fails_the_session(tmp_path: Path) -> None:
    # Every run's first event comes 1 s after its request; the second request is waited on for
    # a fifth of that, as a client with too short a timeout (or a service that lost it) sees.
    timing = TimingProfile(
        time_scale=0.0,
        fixed_delays_ms={"first_event": 1000.0 * scaled(1.0)},
        thinking_steps=(1, 1),
        tool_calls=(1, 1),
    )
    path = tmp_path / "session.jsonl"
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=timing)) as svc:
        token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=time.time())
        async with Session.connect(svc.ws_url("/ws"), token=token, record=path) as session:
            first = await session.run("first request", timeout=scaled(5.0))
            second = await session.run("second request", timeout=scaled(0.2))
    assert str(first.outcome) == "completed" and str(second.outcome) == "timeout"
    stream = load_cassette_stream(path)
    report = check_run(stream.events, context=stream.context())
    assert not report.ok
    (finding,) = report.by_rule(Rule.UNANSWERED_REQUEST)
    assert finding.severity is Severity.ERROR
    assert report.verdict.startswith("FAIL: the request sent at +"), report.verdict
    assert "got no agent event in the 0.2" in finding.message, finding.message
    assert finding.t is not None and abs(finding.t - second.sent_t) < 0.05


IDS = {"thread_id": "t1", "user_id": "u1", "timestamp": 1757867400.0}
RUN = [
    {"type": "agent_started", "agent_name": "triage"},
    {"type": "agent_thinking", "reasoning": "looking"},
    {"type": "tool_executing", "tool_name": "q", "parameters": {}},
    {"type": "tool_completed", "tool_name": "q", "results": {}, "duration": 0.1},
    {"type": "agent_completed", "status": "completed", "final_response": "done"},
]


def _run(run_id: str, t0: float, first_index: int) -> list[TimedEvent]:
    return [
        TimedEvent(parse_frame({**IDS, "run_id": run_id, **f}), t0 + 0.1 * i, None, first_index + i)
        for i, f in enumerate(RUN)
    ]


def _sent(t: float) -> Mark:
    return Mark("message_sent", t, {"type": "user_message"})


def _end(t: float, outcome: str, n_events: int, **extra: Any) -> Mark:
    return Mark("run_end", t, {"outcome": outcome, "n_events": n_events, "n_foreign": 0, **extra})


def _rules(events: list[TimedEvent], marks: list[Mark]) -> list[str]:
    report = check_run(events, context=ContractContext(marks=marks))
    return [str(f.rule) for f in report.findings]


def test_a_request_answered_after_the_client_gave_up_is_a_slow_first_event_only() -> None:
    events = _run("r1", 0.1, 0) + _run("r2", 50.0, 5)
    marks = [_sent(0.0), _end(0.6, "completed", 5), _sent(1.0), _end(31.0, "timeout", 0)]
    rules = _rules(events, marks)
    assert "unanswered_request" not in rules and "slow_first_event" in rules, rules


def test_the_unanswered_one_among_several_requests_is_named() -> None:
    events = _run("r1", 0.1, 0) + _run("r3", 3.1, 5)
    marks = [
        _sent(0.0),
        _end(0.6, "completed", 5),
        _sent(1.0),
        _end(2.0, "timeout", 0),
        _sent(3.0),
        _end(3.6, "completed", 5),
    ]
    report = check_run(events, context=ContractContext(marks=marks))
    (finding,) = report.by_rule(Rule.UNANSWERED_REQUEST)
    assert finding.message.startswith(
        "the request sent at +1.00 s got no agent event in the 1.00 s"
    )


def test_a_timed_out_run_that_got_events_is_no_unanswered_request() -> None:
    events = _run("r1", 0.1, 0)[:3]
    marks = [_sent(0.0), _end(1.0, "timeout", 3)]
    rules = _rules(events, marks)
    assert "unanswered_request" not in rules and "no_terminal" in rules, rules


def test_the_recorded_outgoing_frame_and_its_mark_are_one_request() -> None:
    events = _run("r1", 0.1, 0)
    marks = [
        _sent(0.0),
        Mark("frame_out", 0.0, {"type": "user_message"}),
        _end(0.6, "completed", 5),
        _sent(1.0),
        Mark("frame_out", 1.0, {"type": "user_message"}),
        _end(2.0, "timeout", 0),
    ]
    assert _rules(events, marks).count("unanswered_request") == 1


def test_the_run_after_an_unanswered_request_waits_from_its_own_request() -> None:
    # Request 2 gets nothing for 60 s (the client's timeout); request 3 is answered in 0.1 s.
    events = _run("r1", 0.1, 0) + _run("r3", 62.1, 5)
    marks = [
        _sent(0.0),
        _end(0.6, "completed", 5),
        _sent(1.0),
        _end(61.0, "timeout", 0),
        _sent(62.0),
        _end(62.6, "completed", 5),
    ]
    rules = _rules(events, marks)
    assert rules.count("unanswered_request") == 1
    assert "slow_first_event" not in rules, rules
