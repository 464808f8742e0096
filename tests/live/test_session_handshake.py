"""Session against the reference service speaking the newest generation's handshake (PROTOCOL.md
§5): the client answers handshake_response with handshake_acknowledged, waits for
handshake_complete, records both directions, and the latency phases measure the handshake."""

from __future__ import annotations

import json
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, Fault, ServiceHandle, run_service
from netra_diag.emulator.config import TimingProfile
from netra_diag.latency import phase_metrics
from netra_diag.live import RunOutcome, Session
from netra_diag.recording import load_cassette, load_frames
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

SUB = "user-hs-42"


def make_token() -> str:
    return mint_token(SUB, key=LOCAL_DEV_SECRET, now=time.time())


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant(), handshake=True)
    async with run_service(cfg) as handle:
        yield handle


def handshake_values_ms(path: Path) -> list[float]:
    metrics = phase_metrics(load_frames([path]))
    rows = metrics[metrics["phase"] == "handshake"]
    return [float(v) for v in rows["value_ms"]]


async def test_session_answers_the_handshake_and_runs(svc: ServiceHandle, tmp_path: Path) -> None:
    path = tmp_path / "hs.jsonl"
    async with Session.connect(
        svc.url, token=make_token(), record=path, ping_every=None
    ) as session:
        assert session.auth.validated is True, session.auth
        run = await session.run("cost report", timeout=scaled(10))
        assert run.outcome is RunOutcome.COMPLETED, run.summary()
        assert run.types[0] == "agent_started" and run.types[-1] == "agent_completed"
    assert svc.fault_log == []
    cas = load_cassette(path)
    ins = {f.type: json.loads(f.text or "{}") for f in cas.frames if f.dir == "in"}
    outs = [json.loads(f.text or "{}") for f in cas.frames if f.dir == "out"]
    response = ins["handshake_response"]
    assert "handshake_complete" in ins
    (answer,) = [o for o in outs if o.get("type") == "handshake_acknowledged"]
    assert answer["thread_id"] == response["thread_id"]
    assert answer["run_id"] == response["run_id"]
    # In causal order: response in, acknowledgement out, complete in, then the request.
    order = [(f.dir, f.type) for f in cas.frames]
    assert order.index(("in", "handshake_response")) < order.index(
        ("out", "handshake_acknowledged")
    )
    assert order.index(("out", "handshake_acknowledged")) < order.index(
        ("in", "handshake_complete")
    )
    assert order.index(("in", "handshake_complete")) < order.index(("out", "user_message"))
    # The run went to the thread the handshake named (the service's default thread).
    assert run.thread_id == response["thread_id"]
    (value,) = handshake_values_ms(path)
    assert math.isfinite(value) and value >= 0.0


async def test_late_handshake_complete_is_waited_for_and_measured(tmp_path: Path) -> None:
    cfg = EmulatorConfig(timing=TimingProfile.instant(), handshake=True)
    path = tmp_path / "late.jsonl"
    async with run_service(cfg) as handle:
        url = handle.ws_url("/ws", faults="late_handshake_complete,stall_s=0.3")
        async with Session.connect(
            url, token=make_token(), record=path, establish_timeout=scaled(5), ping_every=None
        ) as session:
            run = await session.run("after the hold", timeout=scaled(10))
            assert run.outcome is RunOutcome.COMPLETED, run.summary()
        (item,) = handle.fault_log
    assert item.fault is Fault.LATE_HANDSHAKE_COMPLETE
    assert item.connection_id == session.handshake.connection_id
    (value,) = handshake_values_ms(path)
    assert value >= 250.0  # held 0.3 s (a lower bound only)


async def test_dropped_handshake_complete_gives_up_after_the_establish_timeout(
    tmp_path: Path,
) -> None:
    cfg = EmulatorConfig(timing=TimingProfile.instant(), handshake=True)
    path = tmp_path / "drop.jsonl"
    async with run_service(cfg) as handle:
        url = handle.ws_url("/ws", faults="drop_handshake_complete")
        async with Session.connect(
            url, token=make_token(), record=path, establish_timeout=0.3, ping_every=None
        ) as session:
            # Who the server said we are still comes from connection_established.
            assert session.handshake.connection_id is not None
            assert session.auth.validated is True, session.auth
            run = await session.run("no complete came", timeout=scaled(10))
            assert run.outcome is RunOutcome.COMPLETED, run.summary()
        (item,) = handle.fault_log
    assert item.fault is Fault.DROP_HANDSHAKE_COMPLETE
    marks = {m.name: m.data for m in load_cassette(path).marks}
    assert marks["establish_timeout"]["awaiting"] == "handshake_complete"
    assert handshake_values_ms(path) == []  # no complete, no handshake value
