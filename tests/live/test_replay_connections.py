"""Replay of cassettes holding several connections (a session that reconnected, an upgrade that
was refused): each client connection gets the next recorded one, with its frames, timing and
end, and a connection beyond the recorded ones is refused with HTTP 503."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from test_replay import offsets  # the same anchoring, per connection
from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus
from websockets.typing import Subprotocol

from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.errors import HandshakeRejected
from netra_diag.live import ReconnectPolicy, RunOutcome, Session
from netra_diag.live.replay import ReplayOutcome, load_plan, plan_replay, serve_cassette
from netra_diag.recording import Recorder, load_cassette
from netra_diag.recording_format import FrameRecord, MarkRecord
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

MS = 1_000_000  # ns
TOLERANCE_S = 0.005  # the replay's timing bar (test_replay.py), per connection here
# Timing gets six replays of the same recording (the suite runs on two workers): on a shared
# 2-core machine the OS scheduler alone delays a wake-up by several ms now and then. Order and
# close codes must hold every time.
ATTEMPTS = 6
SUBPROTOCOL = "jwt.ZXl…#0a1b2c3d"


def frame(etype: str, **fields: Any) -> str:
    return json.dumps({"type": etype, **fields})


def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


def bad_token() -> str:
    """Signed with another secret: the strict service refuses it."""
    return mint_token("u1", key=LOCAL_DEV_SECRET + "-not-the-secret", now=time.time())


def write_multi(path: Path) -> None:
    """Four connections: upgraded then dropped (1006); refused with 503; no answer at all (TCP
    refused); upgraded then closed 4001 by the server. Reconnect marks between them."""
    with Recorder(path, endpoint="ws://127.0.0.1:1/ws", started_wall=time.time()) as rec:
        rec.mark("connect_start", t_ns=0, wall=None, data={"attempt": 1})
        rec.mark("upgrade_done", t_ns=2 * MS, wall=None, data={"subprotocol": SUBPROTOCOL})
        rec.frame("in", frame("connection_established", user_id="u1"), t_ns=5 * MS, wall=None)
        rec.frame("out", frame("ping"), t_ns=8 * MS, wall=None)  # not a request
        rec.frame("out", frame("user_message", payload={"content": "a"}), t_ns=12 * MS, wall=None)
        rec.frame("in", frame("agent_started", run_id="r1"), t_ns=20 * MS, wall=None)
        rec.frame("in", frame("agent_thinking", run_id="r1"), t_ns=30 * MS, wall=None)
        rec.frame("in", frame("tool_executing", run_id="r1"), t_ns=40 * MS, wall=None)
        rec.mark("close", t_ns=50 * MS, wall=None, data={"code": 1006, "initiated_by": "none"})
        rec.mark("reconnect_attempt", t_ns=51 * MS, wall=None, data={"attempt": 1})
        rec.mark("connect_start", t_ns=300 * MS, wall=None, data={"attempt": 1})
        headers = [["Content-Length", "12"], ["Retry-After", "1"], ["Bad\nName", "x"]]
        rejected = {"status": 503, "body": "busy, retry\n", "headers": headers}
        rec.mark("handshake_rejected", t_ns=302 * MS, wall=None, data=rejected)
        rec.mark("connect_start", t_ns=600 * MS, wall=None, data={"attempt": 1})
        rec.mark("error", t_ns=601 * MS, wall=None, data={"message": "connection refused"})
        rec.mark("connect_start", t_ns=900 * MS, wall=None, data={"attempt": 1})
        rec.mark("upgrade_done", t_ns=903 * MS, wall=None, data={"subprotocol": None})
        rec.frame("in", frame("connection_established", user_id="u1"), t_ns=905 * MS, wall=None)
        rec.frame("out", frame("user_message", payload={"content": "b"}), t_ns=910 * MS, wall=None)
        rec.frame("in", frame("agent_completed", run_id="r2"), t_ns=920 * MS, wall=None)
        close = {"code": 4001, "reason": "bye", "initiated_by": "server"}
        rec.mark("close", t_ns=950 * MS, wall=None, data=close)


def test_plan_of_a_hand_written_multi_connection_cassette(tmp_path: Path) -> None:
    path = tmp_path / "multi.jsonl"
    write_multi(path)
    plan = load_plan(path)
    assert plan.warnings == ()
    assert [c.answer for c in plan.connections] == ["upgrade", "reject", "drop", "upgrade"]
    first, refused, _, last = plan.connections
    assert first.subprotocol == SUBPROTOCOL
    ms = [[round(s.offset_s * 1e3, 3) for s in seg] for seg in first.segments]
    assert ms == [[3.0], [8.0, 18.0, 28.0, 38.0]]  # the close is the last step of segment 1
    assert first.close is not None and first.close.code == 1006
    assert (refused.status, refused.body) == (503, "busy, retry\n")
    assert refused.headers == (("Retry-After", "1"),)  # framing and malformed headers left out
    assert last.subprotocol is None
    ms = [[round(s.offset_s * 1e3, 3) for s in seg] for seg in last.segments]
    assert ms == [[2.0], [10.0, 40.0]]  # timed from this connection's own upgrade and request
    assert last.close is not None and (last.close.code, last.close.reason) == (4001, "bye")
    assert (plan.n_connections, plan.n_frames, plan.n_client_messages) == (4, 6, 2)
    assert plan.segments == first.segments  # single-connection callers see the first one


def test_plan_splits_cassettes_without_connect_marks() -> None:
    def mark(lineno: int, name: str, t_ms: int, **data: Any) -> MarkRecord:
        return MarkRecord(lineno, name, t_ms * MS, None, data)

    def incoming(lineno: int, etype: str, t_ms: int) -> FrameRecord:
        return FrameRecord(lineno, "in", t_ms * MS, None, 10, etype, frame(etype))

    plan = plan_replay(
        [
            mark(1, "upgrade_done", 1),
            incoming(2, "connection_established", 3),
            mark(3, "close", 4, code=1011, reason="Internal error"),
            incoming(4, "late", 5),  # after the close: not sent
            mark(5, "upgrade_done", 10),
            incoming(6, "connection_established", 17),
            mark(7, "connect_start", 20),
            mark(8, "close", 21, code=1000, initiated_by="client"),  # the previous socket's
            mark(9, "upgrade_done", 22),
            incoming(10, "connection_established", 24),
            mark(11, "connect_start", 30),  # the cassette ends during this handshake
        ]
    )
    assert [c.answer for c in plan.connections] == ["upgrade", "upgrade", "upgrade", "drop"]
    first, second, third, _ = plan.connections
    assert third.close is None and not third.close_by_client and third.n_frames == 1
    assert [s.type for s in first.segments[0] if s.action == "send"] == ["connection_established"]
    assert first.close is not None and first.close.code == 1011
    assert [round(s.offset_s * 1e3) for s in second.segments[0]] == [7]
    assert second.close is None
    assert plan.warnings == (
        "connection 2: no close mark: the replay stays open until the client closes",
        "connection 3: no close mark: the replay stays open until the client closes",
        "connection 4: no answer to the upgrade recorded: the replay drops it",
    )


async def play_connection(url: str) -> tuple[list[str], int | None, str]:
    """Connect, send a ping and a request once the first frame arrived, read until the end;
    returns (incoming types, close code, close reason)."""
    got: list[str] = []
    offered = [Subprotocol("jwt-auth"), Subprotocol("jwt.abcdef")]
    async with connect(url, subprotocols=offered, compression=None) as ws:
        try:
            got.append(json.loads(await ws.recv())["type"])
            await ws.send(frame("ping"))
            await ws.send(frame("user_message", payload={"content": "again"}))
            async for msg in ws:
                got.append(json.loads(msg)["type"])
        except ConnectionClosed:
            pass
        reason = ws.close_reason or ""
        return got, ws.close_code, reason


async def refusal(url: str) -> tuple[int, str, str | None]:
    """(status, body, Retry-After) of an upgrade the server refuses."""
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, compression=None):
            pass
    response = info.value.response
    return response.status_code, bytes(response.body).decode(), response.headers.get("Retry-After")


async def plain_http_status(port: int, *headers: str) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = ["GET /ws HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    writer.write("\r\n".join(lines).encode())
    status = int((await reader.readline()).split()[1])
    writer.close()
    await writer.wait_closed()
    return status


async def test_each_client_connection_gets_the_next_recorded_one(tmp_path: Path) -> None:
    path = tmp_path / "multi.jsonl"
    write_multi(path)
    async with serve_cassette(path, speed=5.0, repeat=False) as rs:
        # Not an upgrade, or not a well-formed one: websockets refuses it, and it uses up no
        # recorded connection.
        assert await plain_http_status(rs.port) == 426
        assert await plain_http_status(rs.port, "Upgrade: websocket", "Connection: Upgrade") == 400
        types, code, _ = await play_connection(rs.url)
        established, *run = types
        assert established == "connection_established"
        assert run == ["agent_started", "agent_thinking", "tool_executing"]
        assert code == 1006  # dropped without a close frame, as recorded
        assert await refusal(rs.url) == (503, "busy, retry\n", "1")
        with pytest.raises(InvalidMessage):  # no HTTP answer at all, as recorded
            async with connect(rs.url, compression=None):
                pass
        types, code, reason = await play_connection(rs.url)
        assert (types, code, reason) == (["connection_established", "agent_completed"], 4001, "bye")
        status, body, _ = await refusal(rs.url)
        assert status == 503 and "held 4 connections" in body and "connection 5," in body
        assert "connection 6," in (await refusal(rs.url))[1]
        played = await asyncio.wait_for(rs.wait_played(), 5 * TIMEOUT_FACTOR)
    assert [(o.connection, o.answer, o.close_code) for o in played] == [
        (1, "upgrade", 1006),
        (2, "reject", None),
        (3, "drop", None),
        (4, "upgrade", 4001),
    ]
    assert played[1].http_status == 503 and rs.refused == 2


async def test_an_upgrade_that_fails_after_all_ends_its_connection(tmp_path: Path) -> None:
    path = tmp_path / "multi.jsonl"
    write_multi(path)
    async with serve_cassette(path, repeat=False) as rs:
        bad_version = ("Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: x")
        assert await plain_http_status(rs.port, *bad_version) >= 400
        outcome = await asyncio.wait_for(rs.wait_finished(), 5 * TIMEOUT_FACTOR)
    assert (outcome.connection, outcome.frames_sent, outcome.close_code) == (1, 0, None)


async def test_repeat_starts_the_cassette_over(tmp_path: Path) -> None:
    path = tmp_path / "multi.jsonl"
    write_multi(path)
    async with serve_cassette(path, speed=5.0, repeat=True) as rs:
        for _ in range(2):
            assert (await play_connection(rs.url))[1] == 1006
            assert (await refusal(rs.url))[0] == 503  # the recorded refusal, not "beyond"
            with pytest.raises(InvalidMessage):
                async with connect(rs.url, compression=None):
                    pass
            assert (await play_connection(rs.url))[1] == 4001
    assert [o.connection for o in rs.outcomes] == [1, 2, 3, 4, 1, 2, 3, 4]
    assert rs.refused == 0


# -- a real session that reconnected, recorded against the embedded service ----------------------


def split_connections(path: Path) -> list[list[FrameRecord | MarkRecord]]:
    """The cassette's records cut at each ``connect_start`` (independently of replay_plan)."""
    groups: list[list[FrameRecord | MarkRecord]] = []
    for rec in load_cassette(path).records:
        if not groups or (isinstance(rec, MarkRecord) and rec.name == "connect_start"):
            groups.append([])
        groups[-1].append(rec)
    return groups


def close_marks(path: Path) -> list[tuple[object, object, object]]:
    """(code, reason, initiated_by) of every ``close`` mark, in order."""
    return [
        (m.data.get("code"), m.data.get("reason"), m.data.get("initiated_by"))
        for m in load_cassette(path).records
        if isinstance(m, MarkRecord) and m.name == "close"
    ]


def tokens_then_refused() -> Callable[[], str]:
    """A token factory: a good token for the first connection, a refused one afterwards, so the
    reconnected connection ends with the service's own close (1008)."""
    calls = 0

    def factory() -> str:
        nonlocal calls
        calls += 1
        return token() if calls == 1 else bad_token()

    return factory


async def gave_up(session: Session) -> None:
    """Wait until the session stopped reconnecting (a reconnect ended with 1008)."""
    for _ in range(int(500 * TIMEOUT_FACTOR)):
        if any(
            m.name == "error" and "reconnect gave up" in str(m.data.get("message"))
            for m in session.marks
        ):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the session kept reconnecting")


async def record_reconnecting_session(path: Path) -> None:
    """Connection 1: a run cut by the service (1006); the session reconnects; connection 2: the
    service refuses the new token (error frame, close 1008) and the session gives up."""
    timing = TimingProfile(time_scale=0.05, thinking_steps=(3, 4), tool_calls=(2, 3))
    # Seed 2 cuts the run late (a dozen frames on connection 1); any cut point would do.
    faults = FaultPlan.parse("disconnect_mid_run")
    config = EmulatorConfig(timing=timing, faults=faults, seed=2)
    policy = ReconnectPolicy(initial=0.2, jitter=0, max_attempts=1)
    async with (
        run_service(config) as svc,
        Session.connect(
            svc.url,
            token=tokens_then_refused(),
            transport="header",
            record=path,
            reconnect=policy,
            ping_every=None,
        ) as session,
    ):
        run = await session.run("original request", timeout=10 * TIMEOUT_FACTOR)
        assert run.outcome is RunOutcome.CLOSED
        await gave_up(session)


async def replay_with_a_reconnecting_session(
    original: Path, copy: Path
) -> tuple[tuple[ReplayOutcome, ...], HandshakeRejected, int]:
    policy = ReconnectPolicy(initial=0.05, jitter=0, max_attempts=3)
    async with serve_cassette(original, repeat=False) as rs:
        async with Session.connect(
            rs.url, token=token, transport="header", record=copy, reconnect=policy, ping_every=None
        ) as session:
            run = await session.run("replayed request", timeout=10 * TIMEOUT_FACTOR)
            assert run.outcome is RunOutcome.CLOSED
            await gave_up(session)
            assert session.reconnects == 0  # connection 2 ended in 1008, as recorded
        with pytest.raises(HandshakeRejected) as third:
            await Session.connect(rs.url, token=token, transport="header", ping_every=None)
        played = await asyncio.wait_for(rs.wait_played(), 5 * TIMEOUT_FACTOR)
        return played, third.value, rs.refused


async def test_replay_serves_a_reconnected_session_connection_by_connection(
    tmp_path: Path,
) -> None:
    original = tmp_path / "original.jsonl"
    await record_reconnecting_session(original)
    recorded = [offsets(group) for group in split_connections(original)]
    assert len(recorded) == 2
    assert recorded[0][0][0] == "connection_established" and len(recorded[0]) >= 2
    assert [t for t, _ in recorded[1]] == ["error_message"]
    recorded_closes = close_marks(original)
    assert [(code, by) for code, _, by in recorded_closes] == [(1006, "none"), (1008, "server")]

    worst: list[float] = []
    for attempt in range(ATTEMPTS):
        copy = tmp_path / f"replay-{attempt}.jsonl"
        played, third, refused = await replay_with_a_reconnecting_session(original, copy)
        assert [(o.connection, o.close_code) for o in played] == [(1, 1006), (2, 1008)]
        assert third.status == 503 and "held 2 connections" in third.body, third.body
        assert refused == 1
        replayed = [offsets(group) for group in split_connections(copy)]
        assert [[t for t, _ in conn] for conn in replayed] == [
            [t for t, _ in conn] for conn in recorded
        ], "replay changed which connection a frame arrived on, or their order"
        assert close_marks(copy) == recorded_closes
        worst.append(
            max(
                abs(x - y)
                for a, b in zip(recorded, replayed, strict=True)
                for (_, x), (_, y) in zip(a, b, strict=True)
            )
        )
        if worst[-1] < TOLERANCE_S * TIMEOUT_FACTOR:
            break
    assert min(worst) < TOLERANCE_S * TIMEOUT_FACTOR, [f"{w * 1e3:.2f} ms" for w in worst]


async def test_a_refused_upgrade_replays_as_that_refusal(tmp_path: Path) -> None:
    original, copy = tmp_path / "original.jsonl", tmp_path / "replay.jsonl"
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT)) as svc:
        url = svc.ws_url("/ws/factory")  # factory mode refuses bad credentials with HTTP 403
        with pytest.raises(HandshakeRejected) as recorded:
            await Session.connect(url, token=bad_token(), transport="header", record=original)
    assert recorded.value.status == 403 and recorded.value.body
    async with serve_cassette(original, repeat=False) as rs:
        with pytest.raises(HandshakeRejected) as replayed:
            await Session.connect(rs.url, token=token(), transport="header", record=copy)
    assert (replayed.value.status, replayed.value.body) == (403, recorded.value.body)
    marks = [
        (m.data["status"], m.data["body"])
        for path in (original, copy)
        for m in load_cassette(path).records
        if isinstance(m, MarkRecord) and m.name == "handshake_rejected"
    ]
    assert marks == [(403, recorded.value.body)] * 2


@contextlib.asynccontextmanager
async def replay_cli(
    path: Path, *options: str
) -> AsyncIterator[tuple[asyncio.subprocess.Process, list[str], str]]:
    """``netra-diag replay PATH --port 0 OPTIONS`` in a child process: yields the process, the
    lines it printed before its URL, and the URL; kills the process if it is still running."""
    args = ["-m", "netra_diag", "replay", str(path), "--port", "0", *options]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    try:
        head: list[str] = []
        while not (line := (await proc.stdout.readline()).decode()).startswith("ws://"):
            assert line, f"the replay ended before printing its URL: {head}"
            head.append(line)
        yield proc, head, line.strip()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_cli_plays_every_connection_then_exits(tmp_path: Path) -> None:
    path = tmp_path / "multi.jsonl"
    write_multi(path)
    async with (
        asyncio.timeout(20 * TIMEOUT_FACTOR),
        replay_cli(path, "--speed", "5", "--linger", str(2 * TIMEOUT_FACTOR)) as (proc, lines, url),
    ):
        assert proc.stdout is not None
        assert (await play_connection(url))[1] == 1006
        assert (await refusal(url))[0] == 503
        with pytest.raises(InvalidMessage):
            async with connect(url, compression=None):
                pass
        assert (await play_connection(url))[1] == 4001
        assert "held 4 connections" in (await refusal(url))[1]  # lingering: a clear 503
        rest = (await proc.stdout.read()).decode()
        assert await proc.wait() == 0
    assert "4 connections" in lines[0]
    assert "connection 2: refuses the upgrade with HTTP 503" in "".join(lines)
    assert "replay 1 (recorded connection 1/4): 4 frames sent" in rest
    assert "replay 4 (recorded connection 4/4)" in rest and "closed 4001" in rest
    assert "refused 1 connection beyond the recorded ones (HTTP 503)" in rest


def test_cli_help_says_what_happens_past_the_recording(capsys: pytest.CaptureFixture[str]) -> None:
    from netra_diag.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["replay", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "HTTP 503" in text and "in turn" in text and "--linger" in text
