"""The session's receive path: messages delivered straight from the protocol keep their order
through every fallback to websockets' own buffer (fragmented messages, heartbeats, binary
frames), every received frame is in the cassette once, kernel receive timestamps time a frame
by its arrival rather than by when a busy event loop read it, and a closed session is freed
without the cycle collector. Real servers on loopback ports, no patched sockets."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from timeouts import scaled
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection as SyncServerConnection
from websockets.sync.server import serve as sync_serve

from netra_diag.emulator import AuthMode, EmulatorConfig, ServiceHandle, TimingProfile, run_service
from netra_diag.live import RunOutcome, Session, stamping
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

USER = "user-receive"


def token() -> str:
    return mint_token(USER, key=LOCAL_DEV_SECRET, now=time.time())


def frame(etype: str, **fields: Any) -> str:
    return json.dumps({"type": etype, "thread_id": "t1", "user_id": USER, **fields})


ESTABLISHED = json.dumps({"type": "connection_established", "data": {"user_id": USER}})


async def mixed_stream(ws: ServerConnection) -> None:
    """After the request: whole frames, a fragmented one, a heartbeat, a binary frame."""
    await ws.send(ESTABLISHED)
    async for message in ws:
        if json.loads(message).get("type") != "user_message":
            continue
        await ws.send(frame("agent_started", run_id="r1"))
        await ws.send(["{", '"type": "agent_thinking", ', '"reasoning": "in parts"}'])
        await ws.send(frame("heartbeat"))
        await ws.send(b"\x00\x01binary")
        await ws.send(frame("tool_executing", tool_name="x", parameters={}))
        await ws.send(frame("tool_completed", tool_name="x", results={"n": 1}))
        await ws.send(frame("agent_completed", status="done", final_response="ok"))


@pytest.fixture
async def mixed_url() -> AsyncIterator[str]:
    async with serve(mixed_stream, "127.0.0.1", 0) as server:
        yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws"


async def test_order_survives_every_fallback(mixed_url: str, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    async with Session.connect(
        mixed_url, token=token(), transport="header", record=path, ping_every=None
    ) as session:
        run = await session.run("go", timeout=scaled(10))
        # The fallbacks are over: messages come straight from the protocol again.
        assert session._conn._ws is not None and session._conn._ws.sink is not None
    assert run.outcome is RunOutcome.COMPLETED
    assert run.types == (
        "agent_started",
        "agent_thinking",
        "",  # the binary frame: not JSON, an invalid event
        "tool_executing",
        "tool_completed",
        "agent_completed",
    )
    assert run.events[1].event.get("reasoning") == "in parts"
    assert [e.index for e in session.history] == list(range(len(session.history)))
    cas = load_cassette(path)
    incoming = [(f.type, f.text) for f in cas.frames if f.dir == "in"]
    assert [t for t, _ in incoming] == [
        "connection_established",
        "agent_started",
        "agent_thinking",
        "heartbeat",
        "",
        "tool_executing",
        "tool_completed",
        "agent_completed",
    ]
    outgoing = [json.loads(f.text or "{}").get("type") for f in cas.frames if f.dir == "out"]
    assert "heartbeat_ack" in outgoing  # the heartbeat went the reader task's way, answered
    times = [f.t_ns for f in cas.frames if f.dir == "in"]
    assert times == sorted(times)
    assert not cas.warnings


async def test_every_frame_of_a_fast_stream_is_recorded_once(tmp_path: Path) -> None:
    n = 3000
    texts = [frame("agent_thinking", step_number=i) for i in range(n)]

    async def flood(ws: ServerConnection) -> None:
        await ws.send(ESTABLISHED)
        async for _ in ws:
            for text in texts:
                await ws.send(text)
            await ws.send(frame("agent_completed", status="done"))

    path = tmp_path / "flood.jsonl"
    async with serve(flood, "127.0.0.1", 0) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/ws"
        async with Session.connect(
            url, token=token(), transport="header", record=path, ping_every=None
        ) as session:
            run = await session.run("go", timeout=scaled(30))
    assert run.outcome is RunOutcome.COMPLETED
    assert len(run.events) == n + 1
    recorded = [f.text for f in load_cassette(path).frames if f.dir == "in"]
    assert recorded[1 : n + 1] == texts  # after connection_established, in order, once each


def _redirecting(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/old":
        return Response(HTTPStatus.FOUND, "Found", Headers([("Location", "/ws")]))
    return None


async def test_a_redirected_upgrade_is_followed(tmp_path: Path) -> None:
    async def hello(ws: ServerConnection) -> None:
        await ws.send(ESTABLISHED)
        await ws.wait_closed()

    async with serve(hello, "127.0.0.1", 0, process_request=_redirecting) as server:
        url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/old"
        async with Session.connect(
            url, token=token(), transport="header", ping_every=None
        ) as session:
            assert session.is_open
            assert session.user_id == USER


@contextlib.contextmanager
def late_sender(delay_s: float) -> Iterator[tuple[str, list[int]]]:
    """A server in its own thread (its own event loop): on the request it waits ``delay_s``, then
    sends one frame, noting ``time.monotonic_ns()`` just before."""
    sent: list[int] = []

    def handler(ws: SyncServerConnection) -> None:
        ws.send(ESTABLISHED)
        for _message in ws:
            time.sleep(delay_s)
            sent.append(time.monotonic_ns())
            ws.send(frame("agent_started", run_id="r1"))

    with sync_serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/ws", sent
        finally:
            server.shutdown()
            thread.join(timeout=10)


@pytest.mark.skipif(not stamping.SUPPORTED, reason="kernel receive timestamps: Linux only")
async def test_a_busy_loop_does_not_delay_the_arrival_time() -> None:
    busy_s = 0.4
    with late_sender(0.05) as (url, sent):
        async with Session.connect(
            url, token=token(), transport="header", ping_every=None
        ) as session:
            ws = session._conn._ws
            assert ws is not None and ws.rx_socket is not None
            await session.send_user_message("go")
            sent_mark = session.marks[-1]
            assert sent_mark.name == "message_sent"
            time.sleep(busy_s)  # noqa: ASYNC251 - the event loop is stuck while the frame arrives
            event = await session.recv(timeout=scaled(5))
    assert event.type == "agent_started"
    latency = event.t - sent_mark.t
    # The server answered 50 ms after the request; the loop only read it after 400 ms.
    assert 0.045 <= latency < 0.05 + 0.1 * scaled(1), latency
    origin_ns = session._conn._origin
    assert abs(origin_ns + event.t * 1e9 - sent[0]) < 20e6 * scaled(1)


@pytest.fixture
async def instant() -> AsyncIterator[ServiceHandle]:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    async with run_service(cfg) as svc:
        yield svc


async def test_a_closed_session_is_freed_without_the_cycle_collector(
    instant: ServiceHandle, tmp_path: Path
) -> None:
    gc.collect()
    gc.disable()
    try:
        session = await Session.connect(
            instant.url, token=token(), record=tmp_path / "c.jsonl", ping_every=None
        )
        run = await session.run("hello", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED
        await session.close()
        await asyncio.sleep(0)
        conn = weakref.ref(session._conn)
        del session, run
        assert conn() is None
    finally:
        gc.enable()


def test_ip_literals_skip_the_resolver() -> None:
    import socket

    from netra_diag.live.stamping import _numeric_address

    v4 = _numeric_address("127.0.0.1", 8000)
    assert v4 is not None and len(v4) == 1
    family, kind, _, _, address = v4[0]
    assert (family, kind, address) == (socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 8000))
    v6 = _numeric_address("::1", 8000)
    assert v6 is not None and v6[0][0] == socket.AF_INET6
    # a host name goes through loop.getaddrinfo, as before
    assert _numeric_address("localhost", 8000) is None
    assert _numeric_address("", 8000) is None
