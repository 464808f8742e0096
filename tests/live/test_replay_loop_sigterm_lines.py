"""``replay --loop`` stopped by SIGTERM right after a client left still prints that connection's
line. The replay looks for finished connections every 0.1 s; a signal landing in between ended
it without the line for a connection it had played ("one line per replayed connection")."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

TIMING = TimingProfile(time_scale=0.02, tool_calls=(1, 1))


async def _record(path: Path) -> None:
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=TIMING)) as svc:
        token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
        session = await Session.connect(
            svc.ws_url("/ws"), token=token, transport="header", record=path
        )
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok


async def _play_once_then_terminate(cassette: Path) -> str:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "netra_diag", "replay", str(cassette), "--port", "0", "--loop"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30 * TIMEOUT_FACTOR):
            while not (line := (await proc.stdout.readline()).decode()).startswith("ws://"):
                assert line, "the replay ended before printing its URL"
            async with connect(line.strip()) as ws:
                await ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
                async for message in ws:
                    if json.loads(message).get("type") == "agent_completed":
                        break
            # The client has left: stop the replay at once, as a CI script would.
            proc.send_signal(signal.SIGTERM)
            out = (await proc.stdout.read()).decode()
            assert await proc.wait() == 0, out  # --loop: SIGTERM is its normal end
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return out


async def test_the_last_connection_played_gets_its_line(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    await _record(cassette)
    # (the signal can land before or after the replay's look at its connections: a few tries)
    for attempt in range(3):
        out = await _play_once_then_terminate(cassette)
        assert "replay 1 (recorded connection 1/1)" in out, (attempt, out)
