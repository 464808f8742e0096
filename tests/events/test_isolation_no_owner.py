"""``check_run(events)`` without the session's user (the live_session notebook's call, and
triage's for a linked cassette) never looked at user ids: a connection that received another
user's events passed. One connection belongs to one user, so events of several users on it are
contamination whoever the owner is."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.events.contracts import Rule, Severity, check_run
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.rules.base import ContractContext
from netra_diag.events.sources import load_cassette_stream
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def token(user: str) -> str:
    return mint_token(user, key=LOCAL_DEV_SECRET, now=time.time())


async def test_a_leak_fails_the_session_even_without_its_user(tmp_path: Path) -> None:
    timing = TimingProfile.instant(thinking_steps=(1, 1), tool_calls=(1, 1))
    path = tmp_path / "victim.jsonl"
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=timing)) as svc:
        plain = svc.ws_url("/ws", time_scale="0")
        leaky = svc.ws_url("/ws", faults="leak_other_user", time_scale="0")
        async with Session.connect(plain, token=token("user-2"), record=path) as me:
            await me.run("my own request", timeout=scaled(2.0))
            async with Session.connect(leaky, token=token("user-1")) as owner:
                await owner.run("their request", timeout=scaled(2.0))
            await asyncio.sleep(scaled(0.1))
    events = load_cassette_stream(path).events
    assert {te.event.user_id for te in events} >= {"user-1", "user-2"}
    report = check_run(events)  # no context: whose session it is is not said
    (finding,) = report.by_rule(Rule.FOREIGN_EVENT)
    assert finding.severity is Severity.ERROR and not report.ok
    assert "events of 2 users arrived on one connection: 'user-2' (" in finding.message
    assert "and 'user-1' (1 event from +" in finding.message, finding.message


def _frame(i: int, user: str, etype: str, **fields: object) -> TimedEvent:
    body = {"type": etype, "thread_id": "t1", "run_id": "r1", "user_id": user, **fields}
    return TimedEvent(parse_frame({**body, "timestamp": 1757867400.0 + i}), 0.1 * i, None, i)


def _run(user: str = "u1") -> list[TimedEvent]:
    return [
        _frame(0, user, "agent_started", agent_name="triage"),
        _frame(1, user, "agent_thinking", reasoning="looking"),
        _frame(2, user, "agent_completed", status="completed", final_response="done"),
    ]


def test_one_user_and_cut_or_synthetic_ids_are_no_finding() -> None:
    events = [
        *_run(),
        TimedEvent(parse_frame({"type": "error_message", "user_id": "u1..."}), 0.4, None, 3),
        TimedEvent(parse_frame({"type": "error_message", "user_id": "system"}), 0.5, None, 4),
    ]
    assert not check_run(events).by_rule(Rule.FOREIGN_EVENT)
    demo = _run("demo-user-001")
    assert not check_run([*_run(), *demo[1:2]]).by_rule(Rule.FOREIGN_EVENT)


def test_with_the_owner_given_the_foreign_events_are_named_one_by_one() -> None:
    events = [*_run(), _frame(3, "u2", "agent_thinking", reasoning="theirs")]
    report = check_run(events, context=ContractContext(expected_user="u1"))
    (finding,) = report.by_rule(Rule.FOREIGN_EVENT)
    assert finding.message.startswith("agent_thinking at +0.30 s carries user_id 'u2'")
