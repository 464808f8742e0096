"""Session against the real embedded service on a loopback port: transports, auth verdicts,
handshake diagnostics, timing marks, RTT, heartbeats, reconnects."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, ServiceHandle, TimingProfile, run_service
from netra_diag.errors import ConnectFailed, HandshakeRejected, SessionClosed, UsageError
from netra_diag.live import ReconnectPolicy, RunOutcome, Session
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

SUB = "user-7f3a9c21"
# "eyJ" followed by more token text: a fingerprint is "eyJ…#1a2b3c4d" (escaped "eyJ\u2026").
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")


def make_token(sub: str = SUB) -> str:
    return mint_token(sub, key=LOCAL_DEV_SECRET, now=time.time())


class Factory:
    """A token factory that counts its calls (a fresh token per attempt)."""

    def __init__(self, *tokens: str) -> None:
        self.calls = 0
        self._tokens = tokens

    def __call__(self) -> str:
        self.calls += 1
        if self._tokens:
            return self._tokens[min(self.calls, len(self._tokens)) - 1]
        return make_token()


@pytest.fixture
async def strict() -> AsyncIterator[ServiceHandle]:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    async with run_service(cfg) as svc:
        yield svc


@pytest.fixture
async def demo() -> AsyncIterator[ServiceHandle]:
    cfg = EmulatorConfig(auth=AuthMode.DEMO, timing=TimingProfile.instant())
    async with run_service(cfg) as svc:
        yield svc


TRANSPORTS = ["header", "subprotocol", "subprotocol-raw", "test-helper", "bearer", "query"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_every_transport_authenticates_under_strict_auth(
    strict: ServiceHandle, transport: str
) -> None:
    async with Session.connect(strict.url, token=make_token(), transport=transport) as session:
        assert session.transport == transport
        assert session.auth.validated is True, session.auth
        assert session.auth.bypass is False
        assert session.handshake.status == 101
        if transport in ("subprotocol", "subprotocol-raw", "test-helper", "bearer"):
            assert session.handshake.echoed_token_entry is True
            assert session.handshake.selected_subprotocol is not None
            assert not JWT_LIKE.search(session.handshake.selected_subprotocol)
        else:
            assert session.handshake.echoed_token_entry is None
        run = await session.run("cost report", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED, run.summary()
        assert run.types[0] == "agent_started" and run.types[-1] == "agent_completed"


async def test_auto_picks_header_first_and_reports_attempts(strict: ServiceHandle) -> None:
    async with Session.connect(strict.url, token=make_token()) as session:
        assert session.transport == "header"
        assert [a.outcome for a in session.attempts] == ["validated"]
        assert session.handshake.attempts[0].worked


async def test_auto_in_demo_mode_flags_bypass_after_trying_every_transport(
    demo: ServiceHandle,
) -> None:
    factory = Factory()
    async with Session.connect(demo.url, token=factory) as session:
        assert session.auth.bypass is True
        assert session.auth.validated is False
        assert "demo" in session.auth.reason or "synthetic" in session.auth.reason
        assert [a.transport for a in session.attempts] == [
            "header",
            "subprotocol",
            "query",
            "ticket",
        ]
        assert {a.outcome for a in session.attempts} == {"bypass"}
        assert session.transport == "header"  # the first that connected
        assert factory.calls == 4  # a fresh token per attempt
        run = await session.run("hello", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED


async def test_no_token_in_demo_mode_is_a_bypass(demo: ServiceHandle) -> None:
    async with Session.connect(demo.url, token=None) as session:
        assert session.transport == "none"
        assert session.auth.bypass is True
        assert session.auth.token_sub is None


async def test_no_token_under_strict_auth_closes_1008(strict: ServiceHandle) -> None:
    with pytest.raises(SessionClosed) as info:
        await Session.connect(strict.url, token=None, transport="none")
    assert info.value.code == 1008
    assert "authentication" in info.value.explanation.lower()


async def test_auto_with_wrong_key_tries_everything_then_explains(
    strict: ServiceHandle, tmp_path: Path
) -> None:
    bad = mint_token(SUB, key="another-secret-of-sufficient-length-123", now=time.time())
    path = tmp_path / "bad.jsonl"
    with pytest.raises(SessionClosed) as info:
        await Session.connect(strict.url, token=bad, record=path)
    assert info.value.code == 1008
    assert "auto tried header: closed" in info.value.explanation
    text = path.read_text()
    assert bad not in text and not JWT_LIKE.search(text)
    cas = load_cassette(path)
    attempts = [m.data for m in cas.marks if m.name == "transport_attempt"]
    assert [a["transport"] for a in attempts] == ["header", "subprotocol", "query", "ticket"]
    assert all(a["close_code"] == 1008 for a in attempts[:3])
    assert attempts[3]["outcome"] == "rejected" and attempts[3]["status"] == 401  # ticket request


async def test_known_bad_subprotocol_format_fails(strict: ServiceHandle) -> None:
    with pytest.raises(SessionClosed) as info:
        await Session.connect(strict.url, token=make_token(), transport="bad:jwt-bare")
    assert info.value.code == 1008


async def test_unsupported_subprotocol_closes_1003(strict: ServiceHandle) -> None:
    with pytest.raises(SessionClosed) as info:
        await Session.connect(
            strict.url, token=make_token(), transport="bad:unsupported-subprotocol"
        )
    assert info.value.code == 1003


async def test_factory_mode_refusal_is_http_403_with_body(strict: ServiceHandle) -> None:
    url = strict.ws_url("/ws/factory")
    with pytest.raises(HandshakeRejected) as info:
        await Session.connect(url, token=None, transport="none")
    assert info.value.status == 403
    assert "Authentication failed" in info.value.body


async def test_connection_refused_is_connect_failed() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ConnectFailed) as info:
        await Session.connect(f"ws://127.0.0.1:{port}/ws", token=make_token(), open_timeout=2)
    assert info.value.__cause__ is not None
    assert "127.0.0.1" in info.value.url


async def test_marks_are_ordered_and_clock_offset_estimated(strict: ServiceHandle) -> None:
    async with Session.connect(strict.url, token=make_token(), ping_every=None) as session:
        run = await session.run("hello", timeout=scaled(10))
        names = [m.name for m in session.marks]
        order = [
            "connect_start",
            "upgrade_done",
            "connection_established",
            "run_start",
            "message_sent",
            "first_event",
            "terminal_event",
            "run_end",
        ]
        times = {}
        for name in order:
            assert name in names, (name, names)
            times[name] = next(m.t for m in session.marks if m.name == name)
        assert [times[n] for n in order] == sorted(times[n] for n in order)
        assert run.first_event_s is not None and 0 <= run.first_event_s <= run.duration_s
        assert all(a.t <= b.t for a, b in zip(run.events, run.events[1:], strict=False))
        offset = session.clock_offset
        assert offset is not None and offset.samples >= 5
        assert abs(offset.offset_s) < 1.0  # same machine
        assert run.run_id and run.thread_id and run.user_id == SUB


async def test_thread_id_is_sent_and_reported(strict: ServiceHandle) -> None:
    async with Session.connect(strict.url, token=make_token()) as session:
        run = await session.run("hi", timeout=scaled(10), thread_id="thread-abc")
        assert run.thread_id == "thread-abc"
        assert {e.event.thread_id for e in run.agent_events} == {"thread-abc"}


@pytest.mark.parametrize("kind", ["start_agent", "agent_request"])
async def test_other_request_kinds_run(strict: ServiceHandle, kind: str) -> None:
    async with Session.connect(strict.url, token=make_token()) as session:
        run = await session.run("analyse", timeout=scaled(10), kind=kind)
        assert run.outcome is RunOutcome.COMPLETED


async def test_raw_frames_and_iteration(strict: ServiceHandle) -> None:
    async with Session.connect(strict.url, token=make_token()) as session:
        await session.send_raw("not json at all")
        event = await session.recv(timeout=scaled(5))
        assert event.event.error_code == "JSON_PARSE_ERROR"
        await session.send_raw({"type": "mystery"})
        ack = await session.recv(timeout=scaled(5))
        assert ack.type == "ack"
        await session.send_user_message("iterate")
        seen = []
        async for ev in session:
            seen.append(ev.type)
            if ev.type == "agent_completed":
                break
        assert seen[0] == "agent_started"


async def test_iteration_stops_when_the_server_closes(strict: ServiceHandle) -> None:
    url = strict.ws_url("/ws", faults="close_1011_after_first_message")
    async with Session.connect(url, token=make_token()) as session:
        await session.send_user_message("boom")
        async with asyncio.timeout(scaled(5)):
            _ = [ev async for ev in session]
        assert session.close_info is not None and session.close_info.code == 1011
        with pytest.raises(SessionClosed):
            await session.send_user_message("after close")


async def test_ping_rtt_sampled_in_background(strict: ServiceHandle) -> None:
    url = strict.ws_url("/ws", time_scale="0.5")
    async with Session.connect(url, token=make_token(), ping_every=0.1) as session:
        ws_ms, app_ms = await session.ping()
        assert ws_ms is not None and 0 <= ws_ms < 1000
        assert app_ms is not None and 0 <= app_ms < 1000
        run = await session.run("slow one", timeout=scaled(20))
        assert run.outcome is RunOutcome.COMPLETED
        assert len(run.rtt_ms) >= 2
        kinds = {m.data["kind"] for m in run.marks if m.name == "ping_rtt"}
        assert kinds == {"ws", "app"}
        assert "pong" not in run.types  # liveness frames are consumed by the session


async def test_server_heartbeat_is_answered_with_heartbeat_ack(tmp_path: Path) -> None:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, idle_heartbeat_s=0.2)
    path = tmp_path / "hb.jsonl"
    async with (
        run_service(cfg) as svc,
        Session.connect(svc.url, token=make_token(), ping_every=None, record=path) as session,
    ):
        for _ in range(100):
            if any(m.name == "heartbeat_answered" for m in session.marks):
                break
            await asyncio.sleep(0.05)
    cas = load_cassette(path)
    out = [json.loads(f.text or "{}") for f in cas.frames if f.dir == "out"]
    assert any(o.get("type") == "heartbeat_ack" for o in out)
    assert any(f.type == "heartbeat" for f in cas.frames if f.dir == "in")


async def test_reconnect_after_drop_uses_a_fresh_token(strict: ServiceHandle) -> None:
    factory = Factory()
    url = strict.ws_url("/ws", faults="disconnect_mid_run", time_scale="0")
    policy = ReconnectPolicy(initial=0.05, cap=0.2, max_attempts=5, seed=1)
    async with Session.connect(url, token=factory, transport="header", reconnect=policy) as session:
        run = await session.run("drop me", timeout=scaled(10))
        assert run.outcome is RunOutcome.CLOSED
        assert run.close is not None and run.close.code == 1006
        for _ in range(100):
            if session.reconnects:
                break
            await asyncio.sleep(0.05)
        assert session.reconnects == 1
        assert session.is_open
        assert factory.calls == 2
        assert any(m.name == "reconnect_attempt" for m in session.marks)


async def test_no_reconnect_after_1008(strict: ServiceHandle) -> None:
    bad = mint_token(SUB, key="another-secret-of-sufficient-length-123", now=time.time())
    factory = Factory(make_token(), bad)
    url = strict.ws_url("/ws", faults="disconnect_mid_run", time_scale="0")
    policy = ReconnectPolicy(initial=0.01, cap=0.05, max_attempts=5, seed=1)
    async with Session.connect(url, token=factory, transport="header", reconnect=policy) as session:
        run = await session.run("drop me", timeout=scaled(10))
        assert run.outcome is RunOutcome.CLOSED
        for _ in range(100):
            if session.close_info is not None and session.close_info.code == 1008:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        attempts = [m for m in session.marks if m.name == "reconnect_attempt"]
        assert len(attempts) == 1  # the 1008 on the first reconnect ends it
        assert factory.calls == 2
        assert not session.is_open
        with pytest.raises(SessionClosed, match="not reconnecting"):
            await session.reconnect()


async def test_explicit_reconnect(strict: ServiceHandle) -> None:
    factory = Factory()
    async with Session.connect(strict.url, token=factory, transport="subprotocol") as session:
        await session.reconnect(ReconnectPolicy(initial=0, max_attempts=2))
        assert session.is_open and session.reconnects == 1 and factory.calls == 2
        run = await session.run("after reconnect", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED


async def test_awaitable_form_for_notebooks(strict: ServiceHandle) -> None:
    session = await Session.connect(strict.url, token=make_token())
    try:
        assert session.is_open
    finally:
        await session.close()
    await session.close()  # idempotent
    assert session.close_info is not None and session.close_info.initiated_by == "client"


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        Session.connect("ws://127.0.0.1:1/ws", open_timeout=0)
    with pytest.raises(UsageError):
        ReconnectPolicy(factor=0.5)


async def test_run_never_outlives_its_timeout(strict: ServiceHandle) -> None:
    url = strict.ws_url("/ws", faults="stall,stall_s=5", time_scale="0")
    async with Session.connect(url, token=make_token()) as session:
        t0 = time.monotonic()
        run = await session.run("stall", timeout=0.5)
        elapsed = time.monotonic() - t0
    assert run.outcome is RunOutcome.TIMEOUT
    assert elapsed < 0.5 + scaled(0.5)


def test_token_factory_type_is_checked() -> None:
    bad: Callable[[], str] = lambda: 42  # type: ignore[assignment,return-value]  # noqa: E731
    with pytest.raises(UsageError):
        asyncio.run(Session.connect("ws://127.0.0.1:1/ws", token=bad).__aenter__())


async def test_injected_clock_times_every_frame(strict: ServiceHandle) -> None:
    ticks = itertools.count(start=5_000_000_000, step=1_000)  # 1 µs per reading
    async with Session.connect(
        strict.url, token=make_token(), clock=lambda: next(ticks), ping_every=None
    ) as session:
        run = await session.run("clocked", timeout=scaled(10))
    assert run.outcome is RunOutcome.COMPLETED
    for t in [m.t for m in session.marks] + [e.t for e in session.history]:
        assert round(t * 1e6) == pytest.approx(t * 1e6, abs=1e-6)
    assert [e.t for e in session.history] == sorted(e.t for e in session.history)
