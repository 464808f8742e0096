"""A fan-out cancelled part-way (Ctrl-C under ``asyncio.run``) hands over what it measured until
then: runs done, the run each user had in flight (what it received, nothing counted lost or
judged as a contract error), runs never sent, users not connected yet (not connect failures).
Against the embedded reference service on a loopback port."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.live.fanout import FanoutResult, run_fanout

# agent_started at once, then the first thinking step held far longer than the test runs: the
# run is surely in flight, with exactly one critical event received, when it is cancelled.
HELD = TimingProfile(
    time_scale=1,
    thinking_steps=(2, 2),
    tool_calls=(1, 1),
    fixed_delays_ms={"first_event": 0, "think": 30_000},
)


def _n_started(record: Path) -> int:
    # (the frame's type field: connection_established names agent_started among its
    # golden_path_events, which a bare "agent_started" matched before any run had started)
    return sum('"type":"agent_started"' in p.read_text() for p in record.glob("*.jsonl"))


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def _started(record: Path, n: int) -> None:
    """Until ``n`` cassettes hold an agent_started."""
    deadline = time.monotonic() + scaled(30)
    while _n_started(record) < n:
        assert time.monotonic() < deadline, "no run started"
        await asyncio.sleep(0.05)


async def test_a_cancelled_fanout_hands_over_a_partial_result(tmp_path: Path) -> None:
    got: list[FanoutResult] = []
    async with run_service(EmulatorConfig(timing=HELD)) as svc:
        # One user every 5 s: the first is in its run, the other two not started, when cancelled.
        fanout = run_fanout(
            svc.url,
            users=3,
            runs=2,
            ramp=0.2,
            expected_events=6,
            progress=False,
            record_dir=tmp_path,
            on_interrupt=got.append,
        )
        task = asyncio.create_task(fanout)
        await _started(tmp_path, 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    (result,) = got
    assert result.interrupted and not result.ok
    outcomes = result.runs["outcome"].value_counts().to_dict()
    assert outcomes == {"interrupted": 1, "not_sent": 5}, outcomes
    assert sum(outcomes.values()) == result.runs_total
    # what the run in flight received is counted; nothing of it is lost or a contract error
    assert result.events_received == 1 and result.events_lost == 0
    assert result.errors == {}, result.errors
    # users the interrupt came before are not connect failures
    assert result.sessions_connected == 1 and result.users_not_started == 2
    assert result.connect_failures == {}
    text = result.summary()
    first = text.splitlines()[0]
    assert "INTERRUPTED (Ctrl-C) after" in first and "what was measured until then" in first
    assert "runs completed:     0/6 (1 in flight when interrupted; 5 not sent" in text, text
    assert "2 not connected yet when interrupted" in text
    assert "not connected:" not in text and "e.g." not in text
    doc = result.to_dict()
    assert doc["interrupted"] is True
    assert (doc["runs_interrupted"], doc["runs_not_sent"], doc["users_not_started"]) == (1, 5, 2)
    # the users never started left no reserved file behind
    assert _names(tmp_path) == ["00000-fanout-user-0000.jsonl"]


async def test_without_a_taker_the_cancel_just_goes_on() -> None:
    async with run_service(EmulatorConfig(timing=HELD)) as svc:
        task = asyncio.create_task(run_fanout(svc.url, users=2, runs=1, progress=False))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
