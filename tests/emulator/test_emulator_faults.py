"""Every injectable fault: what the client sees, and the fault-log entry that says what was done."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from emulator_testkit import (
    close_code_after,
    drain,
    established,
    golden,
    open_ws,
    recv_json,
    token_for,
    user_message,
)
from websockets.exceptions import ConnectionClosed, InvalidStatus

from netra_diag.emulator import (
    EmulatorConfig,
    Fault,
    FaultPlan,
    InjectedFault,
    ServiceHandle,
    TimingProfile,
    run_service,
)
from netra_diag.emulator.faults import UNKNOWN_EVENT_TYPE
from netra_diag.errors import UsageError
from netra_diag.events import Envelope, Event, parse_frame

TIMING = TimingProfile(time_scale=0.0, thinking_steps=(2, 2), tool_calls=(2, 2))
CANONICAL = [
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
]


async def run_once(svc: ServiceHandle, faults: str, sub: str = "u1") -> tuple[str, list[Event]]:
    """One connection with ``?faults=``, one run; (connection id, every frame parsed)."""
    async with await open_ws(
        svc.ws_url("/ws", faults=faults), subprotocols=golden(token_for(sub))
    ) as ws:
        conn_id = (await established(ws))["connection_id"]
        await ws.send(user_message())
        frames = await drain(ws)
    return conn_id, [parse_frame(f) for f in frames]


def only(log: list[InjectedFault], fault: Fault) -> InjectedFault:
    hits = [f for f in log if f.fault is fault]
    assert len(hits) == 1, log
    return hits[0]


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    async with run_service(EmulatorConfig(timing=TIMING, idle_heartbeat_s=30)) as handle:
        yield handle


async def test_no_faults_gives_the_canonical_run(svc: ServiceHandle) -> None:
    _, events = await run_once(svc, "")
    assert [e.type for e in events] == CANONICAL
    assert svc.fault_log == []


async def test_drop_event(svc: ServiceHandle) -> None:
    conn_id, events = await run_once(svc, "drop_event")
    entry = only(svc.fault_log, Fault.DROP_EVENT)
    missing = Counter(CANONICAL) - Counter(e.type for e in events)
    assert list(missing.elements()) == [entry.event_type]
    assert entry.connection_id == conn_id
    assert entry.run_id == events[0].run_id
    assert entry.user_id == "u1"
    assert entry.thread_id is not None


async def test_duplicate_event(svc: ServiceHandle) -> None:
    _, events = await run_once(svc, "duplicate_event")
    entry = only(svc.fault_log, Fault.DUPLICATE_EVENT)
    extra = Counter(e.type for e in events) - Counter(CANONICAL)
    assert list(extra.elements()) == [entry.event_type]
    assert entry.run_id == events[0].run_id


async def test_reorder(svc: ServiceHandle) -> None:
    _, events = await run_once(svc, "reorder")
    entry = only(svc.fault_log, Fault.REORDER)
    types = [e.type for e in events]
    assert types != CANONICAL
    assert sorted(types) == sorted(CANONICAL)
    assert entry.event_type in types
    assert "sent before" in entry.detail


async def test_stall(svc: ServiceHandle) -> None:
    async with await open_ws(
        svc.ws_url("/ws", faults="stall", stall_s="0.6"), subprotocols=golden(token_for())
    ) as ws:
        await established(ws)
        loop = asyncio.get_running_loop()
        stamps = [loop.time()]
        await ws.send(user_message())
        for _ in CANONICAL:
            await ws.recv()
            stamps.append(loop.time())
    entry = only(svc.fault_log, Fault.STALL)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert max(gaps) >= 0.55
    assert "stalled 0.6 s" in entry.detail


async def test_disconnect_mid_run_gives_1006(svc: ServiceHandle) -> None:
    async with await open_ws(
        svc.ws_url("/ws", faults="disconnect_mid_run"), subprotocols=golden(token_for())
    ) as ws:
        await established(ws)
        await ws.send(user_message())
        got: list[Event] = []
        with pytest.raises(ConnectionClosed) as info:
            while True:
                got.append(parse_frame(await asyncio.wait_for(ws.recv(), 5)))
    assert info.value.rcvd is None  # no close frame
    assert ws.close_code == 1006
    assert 1 <= len(got) < len(CANONICAL)
    entry = only(svc.fault_log, Fault.DISCONNECT_MID_RUN)
    assert entry.run_id == got[0].run_id
    assert entry.detail.endswith(f"after {got[-1].type}")


async def test_malformed_frame(svc: ServiceHandle) -> None:
    _, events = await run_once(svc, "malformed_frame")
    bad = [e for e in events if e.envelope is Envelope.INVALID]
    assert len(bad) == 1
    assert "not valid JSON" in (bad[0].problem or "")
    assert [e.type for e in events if e.envelope is not Envelope.INVALID] == CANONICAL
    assert only(svc.fault_log, Fault.MALFORMED_FRAME).run_id == events[0].run_id


async def test_unknown_event_type(svc: ServiceHandle) -> None:
    _, events = await run_once(svc, "unknown_event_type")
    unknown = [e for e in events if e.type == UNKNOWN_EVENT_TYPE]
    assert len(unknown) == 1
    assert unknown[0].kind.value == "unknown"
    assert unknown[0].run_id == events[0].run_id
    assert only(svc.fault_log, Fault.UNKNOWN_EVENT_TYPE).event_type == UNKNOWN_EVENT_TYPE


async def test_oversized_frame_makes_the_client_close_1009(svc: ServiceHandle) -> None:
    async with await open_ws(
        svc.ws_url("/ws", faults="oversized_frame"), subprotocols=golden(token_for())
    ) as ws:
        await established(ws)
        await ws.send(user_message())
        with pytest.raises(ConnectionClosed) as info:
            while True:
                await asyncio.wait_for(ws.recv(), 5)
    assert info.value.sent is not None and info.value.sent.code == 1009
    assert only(svc.fault_log, Fault.OVERSIZED_FRAME).event_type == "partial_result"


async def test_oversized_frame_reaches_a_client_without_limit(svc: ServiceHandle) -> None:
    async with await open_ws(
        svc.ws_url("/ws", faults="oversized_frame"), subprotocols=golden(token_for()), max_size=None
    ) as ws:
        await established(ws)
        await ws.send(user_message())
        frames = await drain(ws)
    assert max(len(f) for f in frames) > 1 << 20


async def test_reject_auth(svc: ServiceHandle) -> None:
    async with await open_ws(
        svc.ws_url("/ws", faults="reject_auth"), subprotocols=golden(token_for())
    ) as ws:
        frame = await recv_json(ws)
        assert frame["error_code"] == "AUTH_FAILED"
        assert "reject_auth" in frame["error_message"]
        assert await close_code_after(ws) == (1008, "Authentication failed")
    entry = only(svc.fault_log, Fault.REJECT_AUTH)
    assert (entry.run_id, entry.event_type) == (None, None)
    assert "rejected valid credentials" in entry.detail
    with pytest.raises(InvalidStatus) as info:
        await open_ws(
            svc.ws_url("/ws/factory", faults="reject_auth"), subprotocols=golden("x" * 20)
        )
    assert info.value.response.status_code == 403


async def test_close_1011_after_first_message(svc: ServiceHandle) -> None:
    async with await open_ws(
        svc.ws_url("/ws", faults="close_1011_after_first_message"),
        subprotocols=golden(token_for()),
    ) as ws:
        conn_id = (await established(ws))["connection_id"]
        await ws.send(json.dumps({"type": "ping"}))
        assert await close_code_after(ws) == (1011, "Internal error")
    entry = only(svc.fault_log, Fault.CLOSE_1011_AFTER_FIRST_MESSAGE)
    assert (entry.connection_id, entry.event_type) == (conn_id, "ping")


async def test_stop_heartbeats() -> None:
    async with run_service(EmulatorConfig(timing=TIMING, idle_heartbeat_s=0.2)) as svc:
        quiet = await open_ws(
            svc.ws_url("/ws", faults="stop_heartbeats"), subprotocols=golden(token_for())
        )
        normal = await open_ws(svc.url, subprotocols=golden(token_for()))
        await established(quiet)
        await established(normal)
        assert (await recv_json(normal, within=3))["type"] == "heartbeat"
        assert await drain(quiet, quiet=0.7) == []
        entry = only(svc.fault_log, Fault.STOP_HEARTBEATS)
        assert entry.detail == "idle heartbeats suppressed"
        await quiet.close()
        await normal.close()


async def test_leak_other_user(svc: ServiceHandle) -> None:
    bob = await open_ws(svc.url, subprotocols=golden(token_for("bob")))
    bob_conn = (await established(bob))["connection_id"]
    _, events = await run_once(svc, "leak_other_user", sub="alice")
    assert [e.type for e in events] == CANONICAL  # the owner still gets everything
    leaked = [parse_frame(f) for f in await drain(bob)]
    assert len(leaked) == 1
    assert leaked[0].user_id == "alice"
    entry = only(svc.fault_log, Fault.LEAK_OTHER_USER)
    assert entry.target_connection_id == bob_conn
    assert entry.user_id == "alice"
    assert entry.event_type == leaked[0].type
    await bob.close()


async def test_leak_without_another_user_is_not_logged(svc: ServiceHandle) -> None:
    _, events = await run_once(svc, "leak_other_user")
    assert [e.type for e in events] == CANONICAL
    assert svc.fault_log == []


async def test_faults_combine_and_are_logged_to_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "faults.jsonl"
    plan = FaultPlan.parse("drop_event,duplicate_event,unknown_event_type,malformed_frame")
    config = EmulatorConfig(timing=TIMING, faults=plan, fault_log_path=str(path))
    async with run_service(config) as svc:
        _, events = await run_once(svc, plan.describe())
        log = svc.fault_log
    assert {f.fault for f in log} == set(plan.faults)
    assert len({f.run_id for f in log}) == 1
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["fault"] for line in lines] == [f.fault.value for f in log]
    assert all(line["run_id"] == log[0].run_id for line in lines)
    assert len(events) == len(CANONICAL) - 1 + 1 + 1 + 1


async def test_probabilities_are_seeded() -> None:
    plan = FaultPlan.parse("drop_event@0.5,duplicate_event@0.3")

    async def fault_sequence() -> list[tuple[str, str | None, str]]:
        async with run_service(EmulatorConfig(timing=TIMING, faults=plan, seed=42)) as svc:
            async with await open_ws(svc.url, subprotocols=golden(token_for())) as ws:
                await established(ws)
                for _ in range(20):
                    await ws.send(user_message())
                await drain(ws)
            return [(f.fault.value, f.run_id, f.detail) for f in svc.fault_log]

    first, second = await fault_sequence(), await fault_sequence()
    assert first == second
    drops = sum(1 for f, _, _ in first if f == "drop_event")
    assert 3 <= drops <= 17  # 20 runs at p=0.5


def test_fault_plan_parse() -> None:
    plan = FaultPlan.parse(" drop_event , stall@0.25,stall_s=1.5")
    assert dict(plan.faults) == {Fault.DROP_EVENT: 1.0, Fault.STALL: 0.25}
    assert plan.stall_s == 1.5
    assert FaultPlan.parse(plan.describe()) == plan
    assert not FaultPlan.parse("")
    for bad, message in (
        ("drop", "unknown fault 'drop'"),
        ("stall@x", "probability"),
        ("stall@1.5", "0..1"),
        ("stall_s=soon", "stall_s"),
    ):
        with pytest.raises(UsageError, match=message):
            FaultPlan.parse(bad)
    assert {f.per_connection for f in Fault} == {True, False}
