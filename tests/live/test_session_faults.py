"""Every fault the embedded service injects is visible in the run outcome and in the recording."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, Fault, ServiceHandle, run_service
from netra_diag.errors import SessionClosed
from netra_diag.events.model import EventKind
from netra_diag.live import RunOutcome, RunRecord, Session
from netra_diag.recording import Cassette, load_cassette, load_frames
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT)) as handle:
        yield handle


async def record_run(
    svc: ServiceHandle, faults: str, path: Path, *, budget: float = 10.0, **query: str
) -> tuple[RunRecord, Cassette, str]:
    token = mint_token("user-faults-1", key=LOCAL_DEV_SECRET, now=time.time())
    url = svc.ws_url("/ws", faults=faults, time_scale=query.pop("time_scale", "0"), **query)
    async with Session.connect(url, token=token, record=path, ping_every=None) as session:
        run = await session.run("inject", timeout=scaled(budget))
    text = path.read_text()  # noqa: ASYNC240 - a small local file, after the session
    assert token not in text and not JWT_LIKE.search(text)
    return run, load_cassette(path), token


def incoming(cas: Cassette) -> list[str]:
    return [f.type for f in cas.frames if f.dir == "in"]


def fault_logged(svc: ServiceHandle, fault: Fault) -> bool:
    return any(item.fault is fault for item in svc.fault_log)


async def test_disconnect_mid_run_is_closed_1006_explained(
    svc: ServiceHandle, tmp_path: Path
) -> None:
    run, cas, _ = await record_run(svc, "disconnect_mid_run", tmp_path / "c.jsonl")
    assert run.outcome is RunOutcome.CLOSED
    assert run.close is not None and run.close.code == 1006
    assert run.close.initiated_by == "none"
    text = run.close.explanation()
    assert "without a close frame" in text and "Cloud Run" in text
    assert run.close.last_frames and run.close.last_frames[-1].startswith("←")
    closes = [m for m in cas.marks if m.name == "close"]
    assert closes and closes[0].data["code"] == 1006
    ends = [m for m in cas.marks if m.name == "run_end"]
    assert ends[0].data["outcome"] == "closed" and ends[0].data["close_code"] == 1006
    assert fault_logged(svc, Fault.DISCONNECT_MID_RUN)


async def test_close_1011_after_first_message(svc: ServiceHandle, tmp_path: Path) -> None:
    run, cas, _ = await record_run(svc, "close_1011_after_first_message", tmp_path / "c.jsonl")
    assert run.outcome is RunOutcome.CLOSED
    assert run.close is not None and run.close.code == 1011
    assert "internal error" in run.close.explanation()
    assert [m.data["code"] for m in cas.marks if m.name == "close"] == [1011]


async def test_reject_auth_is_1008_with_error_frame(svc: ServiceHandle, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    token = mint_token("user-faults-1", key=LOCAL_DEV_SECRET, now=time.time())
    url = svc.ws_url("/ws", faults="reject_auth")
    with pytest.raises(SessionClosed) as info:
        await Session.connect(url, token=token, transport="subprotocol", record=path)
    assert info.value.code == 1008
    cas = load_cassette(path)
    assert "error_message" in incoming(cas)
    error = next(f for f in cas.frames if f.type == "error_message")
    assert json.loads(error.text or "{}")["error_code"] == "AUTH_FAILED"
    assert [m.data["code"] for m in cas.marks if m.name == "close"] == [1008]
    assert not any(m.name == "reconnect_attempt" for m in cas.marks)
    assert token not in path.read_text()


async def test_stall_longer_than_timeout_is_a_timeout(svc: ServiceHandle, tmp_path: Path) -> None:
    t0 = time.monotonic()
    run, cas, _ = await record_run(svc, "stall,stall_s=3", tmp_path / "c.jsonl", budget=0.4)
    assert time.monotonic() - t0 < scaled(2.5)
    assert run.outcome is RunOutcome.TIMEOUT
    assert run.error and "no terminal event within" in run.error
    assert [m.data["outcome"] for m in cas.marks if m.name == "run_end"] == ["timeout"]
    with pytest.raises(Exception, match="did not finish within"):
        run.raise_for_outcome()


async def test_drop_event_leaves_a_gap_the_recording_shows(
    svc: ServiceHandle, tmp_path: Path
) -> None:
    run, cas, _ = await record_run(svc, "drop_event", tmp_path / "c.jsonl")
    (item,) = [f for f in svc.fault_log if f.fault is Fault.DROP_EVENT]
    assert item.run_id == run.run_id
    # What was recorded is exactly what was sent: one agent event fewer than the script.
    agent_in = [t for t in incoming(cas) if t.startswith(("agent_", "tool_"))]
    assert len(agent_in) == len(run.agent_events)
    if item.event_type == "agent_completed":
        assert run.outcome is RunOutcome.TIMEOUT or run.terminal != "agent_completed"


async def test_duplicate_event_is_recorded_twice(svc: ServiceHandle, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    token = mint_token("user-faults-1", key=LOCAL_DEV_SECRET, now=time.time())
    url = svc.ws_url("/ws", faults="duplicate_event", time_scale="0")
    async with Session.connect(url, token=token, record=path, ping_every=None) as session:
        await session.run("inject", timeout=scaled(10))
        (item,) = [f for f in svc.fault_log if f.fault is Fault.DUPLICATE_EVENT]
        dup = item.event_type
        for _ in range(50):  # a duplicated terminal event arrives after the run ended
            types = [e.type for e in session.history]
            if any(a == b == dup for a, b in itertools.pairwise(types)):
                break
            await _sleep(0.02)
    types = incoming(load_cassette(path))
    assert any(a == b == dup for a, b in itertools.pairwise(types)), (dup, types)


async def test_reorder_is_visible_in_order(svc: ServiceHandle, tmp_path: Path) -> None:
    run, cas, _ = await record_run(svc, "reorder", tmp_path / "c.jsonl")
    (item,) = [f for f in svc.fault_log if f.fault is Fault.REORDER]
    assert item.run_id == run.run_id
    match = re.match(r"(\w+) #\d+ sent before (\w+) #\d+", item.detail)
    assert match, item.detail
    later, earlier = match.groups()
    types = incoming(cas)
    assert any(a == later and b == earlier for a, b in itertools.pairwise(types)), (
        item.detail,
        types,
    )


async def test_malformed_frame_is_an_invalid_event(svc: ServiceHandle, tmp_path: Path) -> None:
    run, cas, _ = await record_run(svc, "malformed_frame", tmp_path / "c.jsonl")
    invalid = [e for e in run.events if e.event.kind is EventKind.INVALID]
    assert invalid and "not valid JSON" in (invalid[0].event.problem or "")
    assert any(f.type == "" and f.dir == "in" for f in cas.frames)


async def test_unknown_event_type_is_kept(svc: ServiceHandle, tmp_path: Path) -> None:
    run, cas, _ = await record_run(svc, "unknown_event_type", tmp_path / "c.jsonl")
    unknown = [e for e in run.events if e.event.kind is EventKind.UNKNOWN]
    assert [e.type for e in unknown] == ["agent_telemetry_snapshot"]
    assert "agent_telemetry_snapshot" in incoming(cas)


async def test_oversized_frame_is_stored_as_head_and_hash(
    svc: ServiceHandle, tmp_path: Path
) -> None:
    run, cas, _ = await record_run(svc, "oversized_frame", tmp_path / "c.jsonl")
    assert run.outcome is RunOutcome.COMPLETED
    big = [f for f in cas.frames if f.truncated]
    assert len(big) == 1
    assert big[0].size > 1024 * 1024 and big[0].sha256 and len(big[0].text or "") <= 1024
    assert big[0].type == "partial_result"
    assert (tmp_path / "c.jsonl").stat().st_size < 200_000


async def test_leak_other_user_shows_foreign_ids(svc: ServiceHandle, tmp_path: Path) -> None:
    token_a = mint_token("user-a", key=LOCAL_DEV_SECRET, now=time.time())
    token_b = mint_token("user-b", key=LOCAL_DEV_SECRET, now=time.time())
    url_b = svc.ws_url("/ws", time_scale="0")
    url_a = svc.ws_url("/ws", faults="leak_other_user", time_scale="0")
    async with (
        Session.connect(url_b, token=token_b, ping_every=None, record=tmp_path / "b.jsonl") as b,
        Session.connect(url_a, token=token_a, ping_every=None) as a,
    ):
        run = await a.run("leak", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED
        for _ in range(50):
            if any(e.event.user_id == "user-a" for e in b.history):
                break
            await _sleep(0.02)
    frames = load_frames(tmp_path / "b.jsonl")
    assert "user-a" in set(frames.events["user_id"].dropna())


async def test_stop_heartbeats_means_none_answered(tmp_path: Path) -> None:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, idle_heartbeat_s=0.1)
    async with run_service(cfg) as handle:
        token = mint_token("user-hb", key=LOCAL_DEV_SECRET, now=time.time())
        url = handle.ws_url("/ws", faults="stop_heartbeats")
        async with Session.connect(url, token=token, ping_every=None) as session:
            await _sleep(0.5)
            assert not any(m.name == "heartbeat_answered" for m in session.marks)
        assert any(item.fault is Fault.STOP_HEARTBEATS for item in handle.fault_log)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
