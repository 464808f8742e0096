"""A client that leaves a replay before the recording ends is told so: the replay line says what
was never sent, and ``netra-diag replay`` does not exit 0 ("every recorded connection played")."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from live_kit import record_one_run
from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect


async def replay(path: Path, client_reads: int | None, extra: int = 0) -> tuple[int, str]:
    """``netra-diag replay PATH``; a client reads ``client_reads`` frames after its message and
    closes (``None``: reads up to agent_completed, as the recorded client did, then sends
    ``extra`` more messages). Returns the exit code and stdout."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "netra_diag", "replay", str(path), "--port", "0", "--linger", "0"),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30 * TIMEOUT_FACTOR):
            head = ""
            while not (line := (await proc.stdout.readline()).decode()).startswith("ws://"):
                assert line, f"the replay ended before printing its URL: {head}"
                head += line
            async with connect(line.strip(), subprotocols=["jwt-auth"]) as ws:  # type: ignore[list-item]
                await ws.recv()  # connection_established
                await ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
                if client_reads is None:
                    async for message in ws:
                        if json.loads(message)["type"] == "agent_completed":
                            break
                    for _ in range(extra):  # more than the recorded client sent
                        await ws.send(json.dumps({"type": "user_message", "payload": {}}))
                else:
                    for _ in range(client_reads):
                        await ws.recv()
            rest = (await proc.stdout.read()).decode()
            return await proc.wait(), head + rest
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_a_client_leaving_mid_run_is_a_cut_short_replay(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    await record_one_run(cassette, time_scale=0.1)
    code, out = await replay(cassette, client_reads=1)
    assert code == 1, out
    line = next(x for x in out.splitlines() if x.startswith("replay 1 "))
    assert "2 frames sent, 1 client message, client closed" in line, line
    assert "CUT SHORT" in line and "recorded frames never sent" in line, line
    assert "replay incomplete: 1 connection of 1 ended before the recording did" in out


async def test_a_client_that_stays_to_the_end_is_a_full_replay(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    await record_one_run(cassette, time_scale=0.1)
    code, out = await replay(cassette, client_reads=None)
    assert code == 0, out
    assert "CUT SHORT" not in out and "incomplete" not in out


def test_counts_say_one_frame_not_one_frames() -> None:
    from netra_diag.cli.replay import banner
    from netra_diag.live.replay_plan import ConnectionPlan, ReplayPlan, ReplayStep

    one = ConnectionPlan(segments=((ReplayStep(0.0, "send", text="{}"),),))
    plan = ReplayPlan(connections=(one, one))
    assert one.describe().startswith("1 frame, 0 client messages")
    assert "(2 connections, 2 frames," in banner("x.jsonl", plan, 1.0)
    assert "(1 connection, 1 frame," in banner("x.jsonl", ReplayPlan(connections=(one,)), 1.0)


async def test_messages_beyond_the_recorded_ones_are_said_to_get_no_answer(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    await record_one_run(cassette, time_scale=0.1)
    code, out = await replay(cassette, client_reads=None, extra=2)
    assert code == 0, out
    assert (
        "  note: the client sent 3 messages, the recorded client 1: the replay answers only the "
        "recorded ones, so 2 messages got no answer"
    ) in out


def test_frames_sent_late_are_flagged() -> None:
    from netra_diag.cli.replay import replay_line
    from netra_diag.live.replay import ReplayOutcome
    from netra_diag.live.replay_plan import ConnectionPlan, ReplayPlan

    plan = ReplayPlan(connections=(ConnectionPlan(),))
    outcome = ReplayOutcome(frames_sent=3, lateness_ms=[0.4, 52.0, 7.5], played_through=True)
    outcome.close_code, outcome.finished = 1000, True
    assert replay_line(outcome, "replay 1", plan) == (
        "replay 1: 3 frames sent, 0 client messages, closed 1000, max lateness 52.00 ms; "
        "LATE: 2 of 3 frames over 5 ms behind the recording (a busy machine?): latencies "
        "measured against this replay are off by as much"
    )
    outcome.lateness_ms = [0.4, 1.2]
    assert "LATE" not in replay_line(outcome, "replay 1", plan)
