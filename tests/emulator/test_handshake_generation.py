"""The newest generation's handshake on the reference service (PROTOCOL.md §5): handshake_response
→ handshake_acknowledged → handshake_complete, what the service does before it completes and when
it never does, and the drop/late handshake_complete faults. Plain websockets clients on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from emulator_testkit import (
    close_code_after,
    collect_run,
    drain,
    golden,
    open_ws,
    recv_json,
    scaled,
    token_for,
    user_message,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from netra_diag.emulator import EmulatorConfig, Fault, FaultPlan, ServiceHandle, run_service
from netra_diag.emulator.config import TimingProfile, parse_switch
from netra_diag.emulator.connection import handshake_timeout
from netra_diag.errors import HandshakeRejected, UsageError
from netra_diag.live import Session
from netra_diag.recording import load_cassette
from netra_diag.recording_format import MarkRecord

FAST = TimingProfile.instant()


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    """Handshake off by default: connections opt in with ``?handshake=on``."""
    async with run_service(EmulatorConfig(timing=FAST, idle_heartbeat_s=30)) as handle:
        yield handle


def ack(frame: dict[str, Any], **override: Any) -> str:
    return json.dumps(
        {
            "type": "handshake_acknowledged",
            "thread_id": frame["thread_id"],
            "run_id": frame["run_id"],
            **override,
        }
    )


async def opening(ws: ClientConnection) -> tuple[dict[str, Any], dict[str, Any]]:
    """``connection_established`` (must announce the handshake) and ``handshake_response``."""
    established = await recv_json(ws)
    assert established["type"] == "connection_established", established
    assert established["data"]["features"]["handshake"] is True
    response = await recv_json(ws)
    assert response["type"] == "handshake_response", response
    return established, response


async def test_three_step_exchange_then_runs_use_the_handshake_ids(svc: ServiceHandle) -> None:
    url = svc.ws_url("/ws", handshake="on")
    async with await open_ws(url, subprotocols=golden(token_for("hs-user"))) as ws:
        established, response = await opening(ws)
        assert response["thread_id"].startswith("thread_")
        assert response["run_id"].startswith("run_")
        assert response["connection_id"] == established["data"]["connection_id"]
        await ws.send(ack(response))
        complete = await recv_json(ws)
        assert complete["type"] == "handshake_complete", complete
        assert (complete["thread_id"], complete["run_id"]) == (
            response["thread_id"],
            response["run_id"],
        )
        # The handshake's thread is the connection's default; its run id goes to the first run.
        await ws.send(user_message())
        first = await collect_run(ws)
        assert {(e.thread_id, e.run_id) for e in first} == {
            (response["thread_id"], response["run_id"])
        }
        await ws.send(user_message("and now?"))
        second = await collect_run(ws)
        assert {e.thread_id for e in second} == {response["thread_id"]}
        assert {e.run_id for e in second} != {response["run_id"]}
    assert svc.fault_log == []


async def test_config_switch_and_per_connection_off() -> None:
    async with run_service(EmulatorConfig(timing=FAST, handshake=True)) as handle:
        async with await open_ws(handle.url, subprotocols=golden(token_for())) as ws:
            _, response = await opening(ws)
            await ws.send(ack(response))
            assert (await recv_json(ws))["type"] == "handshake_complete"
        off = handle.ws_url("/ws", handshake="off")
        async with await open_ws(off, subprotocols=golden(token_for())) as ws:
            established = await recv_json(ws)
            assert "handshake" not in established["data"]["features"]
            await ws.send(user_message())  # ready at once, as before
            assert [e.type for e in await collect_run(ws)][-1] == "agent_completed"


async def test_without_handshake_an_acknowledgement_is_just_acked(svc: ServiceHandle) -> None:
    async with await open_ws(svc.url, subprotocols=golden(token_for())) as ws:
        established = await recv_json(ws)
        assert "handshake" not in established["data"]["features"]
        await ws.send(json.dumps({"type": "handshake_acknowledged", "thread_id": "t"}))
        reply = await recv_json(ws)
        assert reply["type"] == "ack" and reply["received_type"] == "handshake_acknowledged"


async def test_requests_before_completion_are_refused_not_started(svc: ServiceHandle) -> None:
    url = svc.ws_url("/ws", handshake="1")
    async with await open_ws(url, subprotocols=golden(token_for())) as ws:
        _, response = await opening(ws)
        await ws.send(user_message("too early"))
        refused = await recv_json(ws)
        assert refused["type"] == "error_message"
        assert refused["error_code"] == "HANDSHAKE_INCOMPLETE"
        assert refused["details"]["received_type"] == "user_message"
        await ws.send(json.dumps({"type": "start_agent", "payload": {}}))  # even without content
        assert (await recv_json(ws))["error_code"] == "HANDSHAKE_INCOMPLETE"
        await ws.send(json.dumps({"type": "ping"}))  # liveness is answered meanwhile
        assert (await recv_json(ws))["type"] == "pong"
        await ws.send(ack(response, thread_id="thread_someone_else"))
        mismatch = await recv_json(ws)
        assert mismatch["error_code"] == "HANDSHAKE_MISMATCH"
        assert mismatch["details"]["expected_thread_id"] == response["thread_id"]
        await ws.send(ack(response))
        assert (await recv_json(ws))["type"] == "handshake_complete"
        assert svc.runs_started == 0  # nothing refused was queued behind the handshake
        await ws.send(user_message("now"))
        assert [e.type for e in await collect_run(ws)][-1] == "agent_completed"
    assert svc.runs_started == 1


async def test_no_acknowledgement_is_an_error_then_close_1008(svc: ServiceHandle) -> None:
    url = svc.ws_url("/ws", handshake="on", handshake_timeout_s="0.3")
    async with await open_ws(url, subprotocols=golden(token_for())) as ws:
        _, response = await opening(ws)
        timeout = await recv_json(ws, within=5)
        assert timeout["type"] == "error_message"
        assert timeout["error_code"] == "HANDSHAKE_TIMEOUT"
        assert timeout["details"]["thread_id"] == response["thread_id"]
        assert timeout["details"]["timeout_s"] == 0.3
        assert await close_code_after(ws) == (1008, "Handshake not acknowledged")
    assert svc.runs_started == 0


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"handshake": "maybe"}, ("handshake", "'maybe'", "on or off (1/0, true/false, yes/no)")),
        (
            {"handshake": "on", "handshake_timeout_s": "-1"},
            ("handshake_timeout_s", "'-1'", "a number of seconds > 0"),
        ),
    ],
)
async def test_bad_handshake_options_are_refused_at_the_upgrade(
    svc: ServiceHandle, query: dict[str, str], named: tuple[str, str, str]
) -> None:
    with pytest.raises(InvalidStatus) as info:
        await open_ws(svc.ws_url("/ws", **query), subprotocols=golden(token_for()))
    response = info.value.response
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/plain")
    body = bytes(response.body).decode()
    for part in named:  # the parameter, the value sent and what is accepted
        assert part in body, body
    assert svc.connections_total == 0  # refused before any connection state was set up


async def test_session_handshake_diagnostics_show_the_refusal_body(
    svc: ServiceHandle, tmp_path: Path
) -> None:
    cassette = tmp_path / "refused.jsonl"
    url = svc.ws_url("/ws", handshake="maybe")
    with pytest.raises(HandshakeRejected) as info:
        await Session.connect(
            url, token=token_for(), transport="subprotocol", record=cassette, open_timeout=5
        )
    assert info.value.status == 400
    assert "handshake must be on or off" in info.value.body
    assert "'maybe'" in info.value.body
    marks = [r for r in load_cassette(cassette).records if isinstance(r, MarkRecord)]
    rejected = next(m for m in marks if m.name == "handshake_rejected")
    assert rejected.data["status"] == 400
    assert rejected.data["body"] == info.value.body
    attempt = next(m for m in marks if m.name == "transport_attempt")
    assert attempt.data["outcome"] == "rejected"
    assert "handshake must be on or off" in attempt.data["detail"]


async def test_drop_handshake_complete_is_ready_but_silent(tmp_path: Path) -> None:
    log_path = tmp_path / "faults.jsonl"
    plan = FaultPlan({Fault.DROP_HANDSHAKE_COMPLETE: 1.0})
    config = EmulatorConfig(timing=FAST, handshake=True, faults=plan, fault_log_path=str(log_path))
    async with run_service(config) as handle:
        async with await open_ws(handle.url, subprotocols=golden(token_for("drop-user"))) as ws:
            established, response = await opening(ws)
            await ws.send(ack(response))
            await ws.send(user_message())  # no handshake_complete to wait for: the run starts
            events = await collect_run(ws)
            assert "handshake_complete" not in [e.type for e in events]
            assert events[-1].type == "agent_completed"
        (item,) = handle.fault_log
    assert item.fault is Fault.DROP_HANDSHAKE_COMPLETE
    assert item.connection_id == established["data"]["connection_id"]
    assert item.event_type == "handshake_complete"
    assert item.user_id == "drop-user" and item.run_id is None
    assert response["thread_id"] in item.detail
    (line,) = log_path.read_text().splitlines()
    assert json.loads(line)["fault"] == "drop_handshake_complete"


async def test_late_handshake_complete_holds_the_service_not_ready(svc: ServiceHandle) -> None:
    url = svc.ws_url("/ws", handshake="on", faults="late_handshake_complete,stall_s=0.4")
    loop = asyncio.get_running_loop()
    async with await open_ws(url, subprotocols=golden(token_for())) as ws:
        established, response = await opening(ws)
        await ws.send(ack(response))
        acked_at = loop.time()
        await ws.send(user_message("too early"))
        assert (await recv_json(ws))["error_code"] == "HANDSHAKE_INCOMPLETE"
        complete = await recv_json(ws, within=5)
        assert complete["type"] == "handshake_complete"
        assert loop.time() - acked_at >= 0.35  # held for stall_s (a lower bound only)
        await ws.send(user_message("now"))
        assert [e.type for e in await collect_run(ws)][-1] == "agent_completed"
    (item,) = svc.fault_log
    assert item.fault is Fault.LATE_HANDSHAKE_COMPLETE
    assert item.connection_id == established["data"]["connection_id"]
    assert "0.4 s" in item.detail


async def test_handshake_faults_without_a_handshake_do_nothing(svc: ServiceHandle) -> None:
    url = svc.ws_url("/ws", faults="drop_handshake_complete,late_handshake_complete")
    async with await open_ws(url, subprotocols=golden(token_for())) as ws:
        assert (await recv_json(ws))["type"] == "connection_established"
        await ws.send(user_message())
        assert [e.type for e in await collect_run(ws)][-1] == "agent_completed"
    assert svc.fault_log == []


async def test_the_acknowledgement_is_the_first_message_for_close_1011(svc: ServiceHandle) -> None:
    url = svc.ws_url("/ws", handshake="on", faults="close_1011_after_first_message")
    async with await open_ws(url, subprotocols=golden(token_for())) as ws:
        _, response = await opening(ws)
        await ws.send(ack(response))
        assert await close_code_after(ws) == (1011, "Internal error")
    (item,) = svc.fault_log
    assert item.fault is Fault.CLOSE_1011_AFTER_FIRST_MESSAGE
    assert item.event_type == "handshake_acknowledged"


async def test_many_connections_each_get_their_own_handshake(svc: ServiceHandle) -> None:
    async def one(i: int) -> str:
        url = svc.ws_url("/ws", handshake="on")
        async with await open_ws(url, subprotocols=golden(token_for(f"u{i}"))) as ws:
            _, response = await opening(ws)
            await ws.send(ack(response))
            assert (await recv_json(ws))["type"] == "handshake_complete"
            assert await drain(ws, quiet=0.05) == []
            return str(response["thread_id"])

    threads = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(8))), scaled(20))
    assert len(set(threads)) == 8


def test_options_parse_and_validate() -> None:
    assert parse_switch("handshake", " ON ") is True
    assert parse_switch("handshake", "no") is False
    with pytest.raises(UsageError, match="on or off"):
        parse_switch("handshake", "2")
    on = EmulatorConfig(handshake=True, handshake_timeout_s=4)
    assert handshake_timeout(on, "/ws") == 4.0
    assert handshake_timeout(on, "/ws?handshake=off") is None
    assert handshake_timeout(EmulatorConfig(), "/ws?handshake=yes&handshake_timeout_s=2.5") == 2.5
    assert handshake_timeout(EmulatorConfig(), "/ws?handshake_timeout_s=2.5") is None
    for bad in ("0", "nan", "inf", "soon"):
        with pytest.raises(UsageError, match="handshake_timeout_s"):
            handshake_timeout(on, f"/ws?handshake_timeout_s={bad}")
    for value in (0.0, -1.0, float("nan")):
        with pytest.raises(UsageError, match="handshake_timeout_s"):
            EmulatorConfig(handshake_timeout_s=value)
    assert Fault.DROP_HANDSHAKE_COMPLETE.per_connection
    assert Fault.LATE_HANDSHAKE_COMPLETE.per_connection
    plan = FaultPlan.parse("late_handshake_complete,stall_s=0.5")
    assert plan.describe() == "late_handshake_complete,stall_s=0.5"
    assert FaultPlan.parse(plan.describe()) == plan
