"""Control frames, HTTP routes, limits and close codes of the reference service (PROTOCOL.md §1,
§4, §6), against a real loopback server."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import pytest
from emulator_testkit import close_code_after, established, golden, open_ws, recv_json, scaled
from emulator_testkit import token_for as make_token
from websockets.exceptions import InvalidStatus

from netra_diag.emulator import EmulatorConfig, ServiceHandle, TimingProfile, run_service

FAST = TimingProfile(time_scale=0.0)


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    async with run_service(EmulatorConfig(timing=FAST, idle_heartbeat_s=0.3)) as handle:
        yield handle


@pytest.fixture
def token() -> str:
    return make_token("control-user")


def _get(url: str) -> tuple[int, dict[str, Any], str]:
    try:
        with urllib.request.urlopen(url, timeout=scaled(5)) as resp:
            return resp.status, json.loads(resp.read()), resp.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"{}"), ""


async def test_connection_established_fields(svc: ServiceHandle, token: str) -> None:
    async with await open_ws(svc.url, subprotocols=golden(token)) as ws:
        frame = await recv_json(ws)
        assert frame["type"] == "connection_established"
        data = frame["data"]
        assert data["mode"] == "main"
        assert data["user_id"] == "control-..."
        assert data["connection_id"].startswith("conn_")
        assert data["golden_path_events"] == [
            "agent_started",
            "agent_thinking",
            "tool_executing",
            "tool_completed",
            "agent_completed",
        ]
        assert isinstance(data["features"], dict)
        assert svc.active_connections == 1


@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("/api/v1/websocket", "main"),
        ("/ws/isolated", "isolated"),
        ("/ws/factory", "factory"),
        ("/ws?mode=legacy", "legacy"),
        ("/ws?mode=isolated", "isolated"),
    ],
)
async def test_endpoints_and_modes(svc: ServiceHandle, token: str, path: str, mode: str) -> None:
    url = svc.url.removesuffix("/ws") + path
    async with await open_ws(url, subprotocols=golden(token)) as ws:
        assert (await established(ws))["mode"] == mode


async def test_ping_heartbeat_ack_and_json_errors(svc: ServiceHandle, token: str) -> None:
    async with await open_ws(svc.url, subprotocols=golden(token)) as ws:
        await established(ws)
        await ws.send(json.dumps({"type": "ping", "timestamp": time.time()}))
        assert (await recv_json(ws))["type"] == "pong"
        await ws.send(json.dumps({"type": "heartbeat"}))
        assert (await recv_json(ws))["type"] == "heartbeat_ack"
        await ws.send(json.dumps({"type": "get_thread_history", "thread_id": "t1"}))
        ack = await recv_json(ws)
        assert ack["type"] == "ack"
        assert ack["received_type"] == "get_thread_history"
        assert ack["status"] == "acknowledged"
        await ws.send("{not json")
        err = await recv_json(ws)
        assert (err["type"], err["error_code"]) == ("error_message", "JSON_PARSE_ERROR")
        await ws.send(b"\xff\xfe")
        assert (await recv_json(ws))["error_code"] == "JSON_PARSE_ERROR"
        await ws.send("[1, 2]")
        assert (await recv_json(ws))["error_code"] == "JSON_PARSE_ERROR"
        await ws.send(json.dumps({"no_type": True}))
        assert (await recv_json(ws))["type"] == "ack"


async def test_body_is_never_read_from_data(svc: ServiceHandle, token: str) -> None:
    async with await open_ws(svc.url, subprotocols=golden(token)) as ws:
        await established(ws)
        await ws.send(json.dumps({"type": "user_message", "data": {"content": "hello"}}))
        err = await recv_json(ws)
        assert err["error_code"] == "INVALID_MESSAGE"
        assert "never reads 'data'" in err["error_message"]
        # payload wins over the frame itself
        await ws.send(
            json.dumps(
                {"type": "user_message", "content": "x", "payload": {"text": "from payload"}}
            )
        )
        started = await recv_json(ws)
        assert started["data"]["user_request"] == "from payload"


async def test_heartbeat_after_idle(svc: ServiceHandle, token: str) -> None:
    async with await open_ws(svc.url, subprotocols=golden(token)) as ws:
        await established(ws)
        start = time.monotonic()
        frame = await recv_json(ws, within=3)
        assert frame["type"] == "heartbeat"
        assert time.monotonic() - start >= 0.25
        # a client message resets the idle timer; the next heartbeat comes after another period
        await ws.send(json.dumps({"type": "heartbeat", "timestamp": time.time()}))
        assert (await recv_json(ws))["type"] == "heartbeat_ack"
        assert (await recv_json(ws, within=3))["type"] == "heartbeat"


async def test_message_limit_closes_1009(svc: ServiceHandle, token: str) -> None:
    async with await open_ws(svc.url, subprotocols=golden(token)) as ws:
        await established(ws)
        await ws.send(json.dumps({"type": "user_message", "payload": {"content": "x" * (1 << 20)}}))
        assert (await close_code_after(ws))[0] == 1009


async def test_normal_close_1000(svc: ServiceHandle, token: str) -> None:
    ws = await open_ws(svc.url, subprotocols=golden(token))
    await established(ws)
    await ws.close()
    assert ws.close_code == 1000
    for _ in range(50):
        if svc.active_connections == 0:
            break
        await asyncio.sleep(0.02)
    assert svc.active_connections == 0


async def test_server_shutdown_closes_1001(token: str) -> None:
    async with run_service(EmulatorConfig(timing=FAST)) as svc:
        ws = await open_ws(svc.url, subprotocols=golden(token))
        await established(ws)
    assert (await close_code_after(ws))[0] == 1001


async def test_health_config_and_404(svc: ServiceHandle) -> None:
    status, body, ctype = await asyncio.to_thread(_get, svc.http_base + "/ws/health")
    assert status == 200
    assert ctype == "application/json"
    assert body["status"] == "healthy"
    status, body, _ = await asyncio.to_thread(_get, svc.http_base + "/ws/config")
    assert status == 200
    assert body["heartbeat_interval"] == 30
    assert body["connection_timeout"] == 300
    assert body["max_message_size"] == 1 << 20
    status, body, _ = await asyncio.to_thread(_get, svc.http_base + "/nope")
    assert status == 404
    assert body["path"] == "/nope"
    with pytest.raises(InvalidStatus) as info:
        await open_ws(svc.url.removesuffix("/ws") + "/ws/unknown")
    assert info.value.response.status_code == 404


@pytest.mark.parametrize("query", ["mode=bogus", "envelope=z", "faults=nope", "time_scale=-1"])
async def test_bad_query_parameters_are_refused_with_400(svc: ServiceHandle, query: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        await open_ws(f"{svc.url}?{query}")
    assert info.value.response.status_code == 400


async def test_legacy_test_endpoint_echoes(svc: ServiceHandle) -> None:
    async with await open_ws(svc.ws_url("/ws/test")) as ws:
        for sent, answer in (("ping", "pong"), ("heartbeat", "heartbeat"), ("anything", "ack")):
            await ws.send(json.dumps({"type": sent}))
            assert (await recv_json(ws))["type"] == answer
