"""A replay that waits says what for: the next recorded connection (a session recorded with
``--transport auto`` holds one per transport tried), or a client message that does not come; and
a replay stopped by SIGTERM says which recorded connections were played and which never were."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from netra_diag.cli import main
from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.errors import SessionClosed
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

TIMING = TimingProfile(time_scale=0.02, tool_calls=(1, 1))


def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


async def record_refused_auto(path: Path) -> None:
    """--transport auto against a service that rejects every token: one connection per
    transport tried, each closed 1008."""
    config = EmulatorConfig(
        auth=AuthMode.STRICT, timing=TIMING, faults=FaultPlan.parse("reject_auth")
    )
    async with run_service(config) as svc:
        with pytest.raises(SessionClosed):
            await Session.connect(svc.ws_url("/ws"), token=token(), transport="auto", record=path)


async def test_sigterm_after_one_of_several_connections_says_what_was_never_played(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "auto.jsonl"
    await record_refused_auto(cassette)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "netra_diag", "replay", str(cassette), "--port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        async with asyncio.timeout(30 * TIMEOUT_FACTOR):
            head = ""
            while not (line := (await proc.stdout.readline()).decode()).startswith("ws://"):
                assert line, f"the replay ended before printing its URL: {head}"
                head += line
            n = int(head.split(" connections,")[0].rsplit("(", 1)[1])
            assert n >= 2, head
            with pytest.raises(ConnectionClosed):
                async with connect(line.strip()) as ws:
                    async for _ in ws:
                        pass
            said = ""
            while "waiting for a client connection" not in said:
                said += (await proc.stdout.readline()).decode()
            assert f"to play recorded connection 2 of {n} (" in said, said
            proc.send_signal(signal.SIGTERM)
            out = said + (await proc.stdout.read()).decode()
            err = (await proc.stderr.read()).decode()
            assert await proc.wait() == 143  # 128 + SIGTERM; it was 130, as for Ctrl-C, (out, err)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    last = out.strip().splitlines()[-1]
    assert last.startswith(
        f"stopped after 1 of {n} recorded connections played; "
        f"never requested: recorded connection 2 to {n}"
    ), out
    assert "stopped by SIGTERM" in err and "Traceback" not in err


async def test_a_client_that_does_not_send_its_message_is_waited_for_aloud(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from netra_diag.cli import replay as replay_cli

    monkeypatch.setattr(replay_cli._Waits, "QUIET_S", 0.3)
    cassette = tmp_path / "run.jsonl"
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=TIMING)) as svc:
        session = await Session.connect(svc.ws_url("/ws"), token=token(), record=cassette)
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok

    replay = asyncio.create_task(
        asyncio.to_thread(main, ["replay", str(cassette), "--port", "0", "--linger", "0"])
    )
    out = ""
    async with asyncio.timeout(30 * TIMEOUT_FACTOR):
        while "ws://" not in out:
            await asyncio.sleep(0.05)
            out += capsys.readouterr().out
        url = out[out.index("ws://") :].split()[0]
        async with connect(url) as ws:
            await ws.recv()  # connection_established; the message the recording holds is held back
            while "waiting" not in out:
                await asyncio.sleep(0.05)
                out += capsys.readouterr().out
            await ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
            async for message in ws:
                if json.loads(message)["type"] == "agent_completed":
                    break
        assert await replay == 0
    out += capsys.readouterr().out
    line = next(x for x in out.splitlines() if "waiting" in x)
    assert line.startswith("replay 1: waiting 0 s for the client's message 1 of 1"), line
    assert "recorded frames follow it" in line, line


async def test_a_recorded_ticket_request_no_client_makes_is_waited_for_aloud(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "ticket.jsonl"
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=TIMING)) as svc:
        session = await Session.connect(
            svc.ws_url("/ws"), token=token(), transport="ticket", record=cassette
        )
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "netra_diag", "replay", str(cassette), "--port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(30 * TIMEOUT_FACTOR):
            while not (line := (await proc.stdout.readline()).decode()).startswith("ws://"):
                assert line, "the replay ended before printing its URL"
            async with connect(line.strip()) as ws:  # no ticket: another transport
                await ws.recv()
                await ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
                async for message in ws:
                    if json.loads(message)["type"] == "agent_completed":
                        break
            said = ""
            while "waiting for ticket request" not in said:
                said += (await proc.stdout.readline()).decode()
            proc.send_signal(signal.SIGTERM)
            out = said + (await proc.stdout.read()).decode()
            assert await proc.wait() == 143  # 128 + SIGTERM; it was 130, as for Ctrl-C, out
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "waiting for ticket request 1 of 1 (POST /api/websocket/ticket)" in out
    assert out.strip().splitlines()[-1] == (
        "stopped after 1 of 1 recorded connection played; 0 of 1 recorded ticket request answered"
    )
