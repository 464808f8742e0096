"""Replay of hand-made cassettes, played to a bare websockets client: order, timing, subprotocol,
close codes. The round trip through a real Session is in test_replay.py."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from netra_diag.errors import RecordingError, UsageError
from netra_diag.live.replay import _select_subprotocol, load_plan, plan_replay, serve_cassette
from netra_diag.recording import Recorder, load_cassette
from netra_diag.recording_format import FrameRecord, MarkRecord

MS = 1_000_000  # ns
# These tests check the schedule (anchors, speed), not precision (test_replay.py does, with a
# real Session): the client sends 30 ms after connecting, so a frame timed from the wrong anchor
# is >= 30 ms off, far outside this slack for a loaded machine.
SLACK_S = 0.010 * TIMEOUT_FACTOR


def frame(etype: str, **fields: Any) -> str:
    return json.dumps({"type": etype, **fields})


def write_cassette(
    path: Path,
    *,
    close: dict[str, Any] | None = None,
    subprotocol: str | None = "jwt.ZXl…#0a1b2c3d",
    extra: list[tuple[str, int, str]] | None = None,
) -> list[tuple[str, int, str]]:
    """A session: connected at 2 ms, connection_established at 5 ms, a message at 12 ms, five
    events after it, a close. Returns the incoming (type, t_ns, text) in order."""
    incoming = [
        ("connection_established", 5 * MS, frame("connection_established", data={"x": 1})),
        ("agent_started", 20 * MS, frame("agent_started", thread_id="t1", user_id="u1")),
        ("agent_thinking", 31 * MS, frame("agent_thinking", reasoning="r")),
        ("tool_executing", 32 * MS, frame("tool_executing", tool_name="a", parameters={})),
        ("tool_completed", 61 * MS, frame("tool_completed", tool_name="a", results={})),
        ("agent_completed", 90 * MS, frame("agent_completed", status="ok", final_response="f")),
        *(extra or []),
    ]
    with Recorder(path, endpoint="ws://127.0.0.1:1/ws", started_wall=time.time()) as rec:
        rec.mark("connect_start", t_ns=0, wall=None)
        rec.mark("upgrade_done", t_ns=2 * MS, wall=None, data={"subprotocol": subprotocol})
        rec.frame("in", incoming[0][2], t_ns=incoming[0][1], wall=None)
        rec.frame("out", frame("ping"), t_ns=8 * MS, wall=None)  # not a request
        rec.frame("out", frame("user_message", payload={"content": "hi"}), t_ns=12 * MS, wall=None)
        rec.mark("message_sent", t_ns=12 * MS, wall=None)
        for _, t_ns, text in incoming[1:]:
            rec.frame("in", text, t_ns=t_ns, wall=None)
        if close is not None:
            rec.mark("close", t_ns=95 * MS, wall=None, data=close)
    return incoming


def test_plan_segments_and_anchors(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, close={"code": 1000, "reason": "done"})
    plan = plan_replay(load_cassette(path).records)
    assert plan.subprotocol == "jwt.ZXl…#0a1b2c3d"
    assert plan.n_frames == 6 and plan.n_client_messages == 1
    seg0, seg1 = plan.segments
    assert [round(s.offset_s * 1e3, 3) for s in seg0] == [3.0]
    assert [round(s.offset_s * 1e3, 3) for s in seg1] == [8.0, 19.0, 20.0, 49.0, 78.0, 83.0]
    assert seg1[-1].action == "close" and seg1[-1].code == 1000
    assert plan.warnings == ()


def test_plan_of_a_bare_cassette_warns(tmp_path: Path) -> None:
    path = tmp_path / "bare.jsonl"
    with Recorder(path, endpoint="ws://h/ws", started_wall=0.0) as rec:
        rec.frame("in", frame("agent_started"), t_ns=7 * MS, wall=None)
        rec.frame("in", base64.b64decode("AAEC"), t_ns=9 * MS, wall=None)
    plan = load_plan(path)
    assert [s.offset_s for s in plan.segments[0]] == [0.0, 0.002]
    assert plan.segments[0][1].data == b"\x00\x01\x02"
    assert any("no upgrade_done" in w for w in plan.warnings)
    assert any("no close mark" in w for w in plan.warnings)


def test_missing_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot read"):
        load_plan(tmp_path / "nope.jsonl")
    (tmp_path / "x.jsonl").write_text('{"hello": 1}\n')
    with pytest.raises(RecordingError, match="not a cassette"):
        load_plan(tmp_path / "x.jsonl")


async def test_bad_speed_and_remote_host(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path)
    with pytest.raises(UsageError, match="speed"):
        async with serve_cassette(path, speed=0):
            pass
    with pytest.raises(UsageError, match="loopback"):
        async with serve_cassette(path, host="0.0.0.0"):
            pass


async def play(
    url: str, *, subprotocols: list[str] | None = None, send_at: float = 0.030
) -> tuple[list[tuple[str, float]], float, float, int | None, str | None]:
    """Connect, send a ping then a message ``send_at`` s after connecting, collect every frame
    with its arrival time; returns (frames, t_connected, t_sent, close_code, subprotocol)."""
    got: list[tuple[str, float]] = []
    offered = [Subprotocol(s) for s in subprotocols] if subprotocols else None
    async with connect(url, subprotocols=offered, compression=None) as ws:
        t_conn = time.perf_counter()

        async def sender() -> float:
            await ws.send(frame("ping"))
            await asyncio.sleep(send_at)
            await ws.send(frame("user_message", payload={"content": "again"}))
            return time.perf_counter()

        task = asyncio.create_task(sender())
        try:
            async for msg in ws:
                got.append((json.loads(msg)["type"], time.perf_counter()))
        except ConnectionClosed:
            pass
        t_sent = await task
        return got, t_conn, t_sent, ws.close_code, ws.subprotocol


async def test_replay_order_timing_subprotocol_close(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    incoming = write_cassette(path, close={"code": 4000, "reason": "recorded close"})
    async with serve_cassette(path) as rs:
        assert rs.url.startswith("ws://127.0.0.1:")
        got, t_conn, t_sent, code, sub = await play(rs.url, subprotocols=["jwt-auth", "jwt.abcdef"])
        outcome = await rs.wait_finished()
    assert [t for t, _ in got] == [t for t, _, _ in incoming]
    assert sub == "jwt.abcdef"  # the token-bearing entry echoed, as the recorded server did
    assert code == 4000
    assert outcome.frames_sent == 6 and outcome.client_messages == 1
    errors = [abs((got[0][1] - t_conn) - 0.003)]
    errors += [
        abs((t_got - t_sent) - (t_ns - 12 * MS) / 1e9)
        for (_, t_got), (_, t_ns, _) in zip(got[1:], incoming[1:], strict=True)
    ]
    assert max(errors) < SLACK_S, [round(e * 1e3, 2) for e in errors]


async def test_speed_scales_time(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, close={"code": 1000})
    async with serve_cassette(path, speed=4.0) as rs:
        got, _, t_sent, code, sub = await play(rs.url)
    assert sub is None  # nothing offered, nothing selected
    assert code == 1000
    assert abs((got[-1][1] - t_sent) - 0.078 / 4) < SLACK_S


async def test_replay_1006_drops_the_connection(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, close={"code": 1006, "reason": ""}, subprotocol=None)
    async with serve_cassette(path, speed=10.0) as rs:
        got, _, _, code, _ = await play(rs.url, send_at=0.0)
    assert len(got) == 6 and code == 1006


async def test_no_close_mark_waits_for_client_and_repeats(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, close=None)
    async with serve_cassette(path, speed=20.0, repeat=True) as rs:
        for _ in range(2):
            async with connect(rs.url, compression=None) as ws:
                await ws.send(frame("user_message", payload={"content": "x"}))
                types = [json.loads(await ws.recv())["type"] for _ in range(6)]
            assert types[-1] == "agent_completed"
        await asyncio.sleep(0.05)
        assert len(rs.outcomes) == 2 and all(o.client_closed_first for o in rs.outcomes)


async def test_by_default_connections_past_the_recording_get_503(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, close={"code": 1000})
    async with serve_cassette(path, speed=20.0) as rs:  # no repeat: the CLI's default too
        assert rs.repeat is False
        await play(rs.url, send_at=0.0)
        with pytest.raises(InvalidStatus) as beyond:
            async with connect(rs.url, compression=None):
                pass
        assert rs.refused == 1 and len(rs.outcomes) == 1
    assert beyond.value.response.status_code == 503
    body = bytes(beyond.value.response.body).decode()
    assert "held 1 connection;" in body and "connection 2" in body and "repeat=True" in body


async def test_client_leaving_early_ends_the_replay(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, close={"code": 1000})
    async with serve_cassette(path) as rs:
        async with connect(rs.url, compression=None) as ws:
            await ws.recv()  # connection_established; then leave without sending
        outcome = await asyncio.wait_for(rs.wait_finished(), 5)
    assert outcome.client_closed_first and outcome.frames_sent == 1


MARK_NAMES = ["upgrade_done", "connect_start", "close", "message_sent", "handshake_rejected"]
MARK_NAMES += ["ticket_issued", "ticket_rejected"]
json_data = st.dictionaries(
    st.sampled_from(
        ["code", "reason", "subprotocol", "initiated_by", "by_client", "status", "ttl_seconds", "x"]
    ),
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    max_size=4,
)
records = st.lists(
    st.one_of(
        st.builds(
            FrameRecord,
            lineno=st.integers(1, 100),
            dir=st.sampled_from(["in", "out"]),
            t_ns=st.integers(-(10**9), 10**12),
            wall=st.none(),
            size=st.integers(0, 10),
            type=st.sampled_from(["", "ping", "user_message", "agent_started", "pong"]),
            text=st.none() | st.text(max_size=30),
            b64=st.none() | st.text(max_size=12),
            truncated=st.booleans(),
        ),
        st.builds(
            MarkRecord,
            lineno=st.integers(1, 100),
            name=st.sampled_from(MARK_NAMES),
            t_ns=st.integers(-(10**9), 10**12),
            wall=st.none(),
            data=json_data,
        ),
    ),
    max_size=12,
)


@given(records)
def test_plan_never_raises(recs: list[FrameRecord | MarkRecord]) -> None:
    plan = plan_replay(recs)
    assert plan.n_frames <= sum(isinstance(r, FrameRecord) for r in recs)
    ticket_marks = ("ticket_issued", "ticket_rejected")
    assert plan.n_tickets == sum(isinstance(r, MarkRecord) and r.name in ticket_marks for r in recs)
    assert all(200 <= t.status <= 599 for t in plan.tickets if t.answer != "drop")
    assert all(s.offset_s >= 0 for seg in plan.segments for s in seg)
    assert plan.duration_s >= 0


@given(st.none() | st.text(max_size=20), st.lists(st.text(min_size=1, max_size=30), max_size=4))
def test_subprotocol_choice_is_offered_or_none(recorded: str | None, offered: list[str]) -> None:
    chosen = _select_subprotocol(recorded, offered)
    assert chosen is None or chosen in offered
