"""A run belongs to its own thread and run: another user's event leaked into this connection (the
service's ``leak_other_user`` fault) is kept and flagged as foreign, and never makes the run wait
for someone else's run (regression: a leaked agent event arriving before the run's own
``agent_started`` bound the run to the foreign run id, and the run timed out although every one
of its own events had arrived).

Two concurrent sessions on the real embedded service: the victim (connected first, so the service
leaks to it) starts a run whose first event the service delays; the leaker then runs instantly
with the fault on, so its leaked events reach the victim inside that delay.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR, scaled

from netra_diag.emulator import (
    AuthMode,
    Delay,
    EmulatorConfig,
    Fault,
    ServiceHandle,
    TimingProfile,
    run_service,
)
from netra_diag.events.contracts import check_run
from netra_diag.events.model import Envelope, Event, EventKind, TimedEvent
from netra_diag.events.rules.base import ContractContext, Rule
from netra_diag.live import RunOutcome, RunRecord, Session
from netra_diag.live.runner import RunBinding
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# How long the service waits before the victim's agent_started: the leaker's runs (instant) and
# their leaks all happen inside it.
FIRST_EVENT_MS = 800.0 * TIMEOUT_FACTOR
LEAKER_RUNS = 4


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    quick = Delay(5.0, 0.0)
    timing = TimingProfile(
        first_event_ms=Delay(FIRST_EVENT_MS, 0.0),
        think_ms=quick,
        tool_ms=quick,
        completion_ms=quick,
        inter_event_ms=Delay(1.0, 0.0),
        thinking_steps=(1, 1),
        tool_calls=(0, 0),
    )
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=timing, seed=7)) as h:
        yield h


async def victim_run(
    svc: ServiceHandle, cassette: Path, thread_id: str | None
) -> tuple[RunRecord, list[RunRecord]]:
    token_a = mint_token("user-leaker", key=LOCAL_DEV_SECRET, now=time.time())
    token_b = mint_token("user-victim", key=LOCAL_DEV_SECRET, now=time.time())
    url_victim = svc.ws_url("/ws")
    url_leaker = svc.ws_url("/ws", faults="leak_other_user", time_scale="0")
    sent = asyncio.Event()

    def on_frame(direction: str, te: TimedEvent) -> None:
        if direction == "out" and te.type == "user_message":
            sent.set()

    async with (
        Session.connect(
            url_victim, token=token_b, ping_every=None, record=cassette, on_frame=on_frame
        ) as victim,
        Session.connect(url_leaker, token=token_a, ping_every=None) as leaker,
    ):
        task = asyncio.create_task(victim.run("victim", timeout=scaled(10), thread_id=thread_id))
        await asyncio.wait_for(sent.wait(), scaled(5))
        leaks = [await leaker.run(f"leak {i}", timeout=scaled(5)) for i in range(LEAKER_RUNS)]
        run = await task
    return run, leaks


def assert_victim_completed(run: RunRecord, leaks: list[RunRecord], cassette: Path) -> None:
    assert all(r.outcome is RunOutcome.COMPLETED for r in leaks)
    # The precondition of the regression: foreign events arrived before the run's own first one.
    own_first = run.first_agent_event
    assert own_first is not None
    assert run.foreign and min(run.foreign) < run.events.index(own_first), run.types
    assert run.outcome is RunOutcome.COMPLETED, (run.outcome, run.error, run.types)
    # Bound to its own run, not to the leaked one.
    assert run.user_id == "user-victim"
    own = run.own_events
    assert {e.event.user_id for e in own if e.event.kind is EventKind.AGENT} == {"user-victim"}
    assert run.run_id is not None and run.run_id == own_first.event.run_id
    assert run.terminal == "agent_completed" and run.agent_events[-1].event.run_id == run.run_id
    # The foreign events are kept in the record, flagged, and fail the contract check.
    foreign = run.foreign_events
    assert foreign and {e.event.user_id for e in foreign} == {"user-leaker"}
    assert {e.event.run_id for e in foreign} <= {r.run_id for r in leaks}
    assert len(own) + len(foreign) == len(run.events)
    assert run.summary()["n_foreign"] == len(foreign)
    report = check_run(run.events, context=ContractContext(expected_user="user-victim"))
    assert Rule.FOREIGN_EVENT in {f.rule for f in report.findings}
    # ... and in the cassette: the frames themselves and one foreign_event mark each.
    cas = load_cassette(cassette)
    leaked_frames = [f for f in cas.frames if f.dir == "in" and f.user_id == "user-leaker"]
    assert len(leaked_frames) >= len(foreign)
    marks = [m for m in cas.marks if m.name == "foreign_event"]
    assert len(marks) == len(foreign)
    assert {m.data["user_id"] for m in marks} == {"user-leaker"}
    (end,) = [m for m in cas.marks if m.name == "run_end"]
    assert end.data["outcome"] == "completed" and end.data["n_foreign"] == len(foreign)
    assert end.data["run_id"] == run.run_id


async def test_leak_does_not_bind_a_run_named_by_thread(svc: ServiceHandle, tmp_path: Path) -> None:
    run, leaks = await victim_run(svc, tmp_path / "victim.jsonl", "thread-victim")
    assert_victim_completed(run, leaks, tmp_path / "victim.jsonl")
    assert run.thread_id == "thread-victim"
    assert all(e.event.thread_id != "thread-victim" for e in run.foreign_events)
    assert any(item.fault is Fault.LEAK_OTHER_USER for item in svc.fault_log)


async def test_leaked_agent_started_does_not_bind_a_run_without_thread(
    svc: ServiceHandle, tmp_path: Path
) -> None:
    run, leaks = await victim_run(svc, tmp_path / "victim.jsonl", None)
    # A foreign agent_started came first: binding on the first agent_started alone would take it.
    first_foreign = run.foreign_events[0]
    assert "agent_started" in {e.type for e in run.foreign_events}, run.types
    assert first_foreign.t < run.first_agent_event.t  # type: ignore[union-attr]
    assert_victim_completed(run, leaks, tmp_path / "victim.jsonl")
    assert run.thread_id is not None and run.thread_id not in {r.thread_id for r in leaks}


def _ev(etype: str, **fields: str) -> Event:
    return Event(etype, Envelope.PLAIN, {"type": etype, **fields})


def bound(binding: RunBinding) -> tuple[str | None, str | None]:
    return binding.thread_id, binding.run_id


def test_binding_rules() -> None:
    named = RunBinding("t1", None, None)
    assert named.is_foreign(_ev("agent_started", thread_id="t2", run_id="r2"))
    assert not named.is_foreign(_ev("agent_thinking", thread_id="t1", run_id="r1"))
    named.bind(_ev("agent_thinking", thread_id="t1", run_id="r1"))
    assert named.run_id == "r1"
    assert named.is_foreign(_ev("agent_completed", thread_id="t1", run_id="r9"))
    assert not named.is_foreign(_ev("agent_completed", run_id="r1"))  # no thread: run id decides

    unnamed = RunBinding(None, None, None)
    unnamed.bind(_ev("agent_thinking", thread_id="t9", run_id="r9"))  # not agent_started
    assert bound(unnamed) == (None, None)
    unnamed.bind(_ev("agent_started", thread_id="t1", run_id="r1"))
    unnamed.bind(_ev("agent_started", thread_id="t2", run_id="r2"))  # only the first binds
    assert bound(unnamed) == ("t1", "r1")

    # A validated user: another user's id is foreign; a truncated own id is not.
    user = RunBinding(None, None, "user-12345")
    assert user.is_foreign(_ev("agent_started", user_id="user-999", thread_id="t"))
    assert not user.is_foreign(_ev("agent_started", user_id="user-12...", thread_id="t"))
    assert not user.is_foreign(_ev("agent_started", thread_id="t"))
    # once the thread is known, the thread decides, not the user id
    user.bind(_ev("agent_started", user_id="user-12345", thread_id="t", run_id="r"))
    assert not user.is_foreign(_ev("agent_thinking", user_id="other-form-of-id", thread_id="t"))
    assert user.is_foreign(_ev("agent_thinking", user_id="user-999", run_id="r2"))
    assert user.is_foreign(_ev("agent_thinking", user_id="user-999"))
