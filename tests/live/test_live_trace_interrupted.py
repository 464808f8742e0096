"""A run the client stopped in flight (Ctrl-C or SIGTERM to probe or fanout, a cancelled task) is
said as such: the session writes a ``run_interrupted`` mark, and ``trace`` notes that the client
cut the run. Its verdict alone, "never completed ... connection closed 1000", read as the
service's fault. Against the embedded reference service on a loopback port."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.cli import main
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# agent_started at once, then the first thinking step held far longer than the test runs.
HELD = TimingProfile(
    time_scale=1,
    thinking_steps=(2, 2),
    tool_calls=(1, 1),
    fixed_delays_ms={"first_event": 0, "think": 30_000},
)


async def _record_cut_run(path: Path) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=HELD)) as svc:
        session = await Session.connect(svc.ws_url("/ws"), token=token, record=path)
        async with session:
            run = asyncio.create_task(session.run("hello", timeout=scaled(60)))
            deadline = time.monotonic() + scaled(30)
            while not any(te.type == "agent_started" for te in session.history):
                assert time.monotonic() < deadline, "no run started"
                await asyncio.sleep(0.02)
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run


def test_a_run_cut_by_the_client_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "cut.jsonl"
    asyncio.run(_record_cut_run(cassette))
    records = [json.loads(line) for line in cassette.read_text().splitlines()]
    (mark,) = [r for r in records if r.get("name") == "run_interrupted"]
    started = next(r for r in records if r.get("type") == "agent_started")
    assert mark["data"]["run_id"] == started["run_id"]
    assert mark["data"]["thread_id"] == started["thread_id"]
    assert mark["data"]["n_events"] == 1

    assert main(["trace", str(cassette), "-o", str(tmp_path / "trace.json")]) == 0
    out = capsys.readouterr().out
    run = f"{started['thread_id']}/{started['run_id']}"
    # Not "never completed" (the service's failure): the verdict names the client's cut.
    assert "never completed" not in out, out
    assert f"run {run} was stopped by the client in flight after 1 frame" in out, out
    assert (
        f"  note: the client stopped run {run} in flight after 1 frame (Ctrl-C, SIGTERM or a "
        "cancelled task): it was cut by the client, not left unfinished by the service"
    ) in out.splitlines(), out
