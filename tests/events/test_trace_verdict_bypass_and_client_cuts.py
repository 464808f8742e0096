"""What ``trace`` calls a recording whose auth was bypassed, and one whose runs the client itself
stopped in flight. Recordings made by the real CLI and library against the embedded reference
service on a loopback port.

- DEMO auth (token never validated, synthetic user ``demo-user-001``) read "PASS with caveats":
  a run that proves nothing was called a pass (PROTOCOL.md §2, §9). It is now "NOT PROVEN",
  said first; exit 3 only with --strict, as for any verdict of trace.
- A run the client cut (``run_interrupted``: fanout got SIGTERM) read "FAIL: run … never
  completed", exit 3 with --strict, while the note under it said the client cut it. A run the
  service left unfinished (no terminal, no such mark) still fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.cli import main
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# agent_started at once, then the first thinking step held far longer than any test waits.
HELD = TimingProfile(
    time_scale=1,
    thinking_steps=(2, 2),
    tool_calls=(1, 1),
    fixed_delays_ms={"first_event": 0, "think": 30_000},
)


def verdicts(out: str) -> list[str]:
    """The verdict line of each cassette: the line after its '<path>: N runs ...' line."""
    lines = out.splitlines()
    return [lines[i + 1] for i, line in enumerate(lines) if ".jsonl: " in line]


def trace(paths: list[Path], out: Path, *strict: str) -> int:
    return main(["trace", *map(str, paths), "-o", str(out), *strict])


def test_a_fanout_recorded_with_demo_auth_is_not_proven(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "demo"
    argv = ["fanout", "--auth", "demo", "--users", "2", "--runs", "2", "--time-scale", "0.05"]
    assert main([*argv, "--record", str(rec), "--no-progress"]) == 3  # fanout: auth bypassed
    capsys.readouterr()
    cassettes = sorted(rec.glob("*.jsonl"))
    assert len(cassettes) == 2
    assert trace(cassettes, tmp_path / "t.json") == 0  # trace: exit 3 only with --strict
    lines = verdicts(capsys.readouterr().out)
    assert len(lines) == 2, lines
    for line in lines:
        assert line.startswith("  NOT PROVEN: auth was bypassed, so the run proves nothing: "), line
        assert "'demo-user-001'" in line and "the token was not validated" in line, line
        assert "PASS" not in line, line
    assert trace(cassettes, tmp_path / "t.json", "--strict") == 3
    out = capsys.readouterr().out
    assert "PASS" not in out, out
    assert out.count("  FAIL (--strict): auth was bypassed (") == 2, out
    assert out.count("  contract: NOT PROVEN: auth was bypassed") == 2, out


def test_a_fanout_with_validated_tokens_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "strict"
    argv = ["fanout", "--users", "2", "--runs", "2", "--time-scale", "0.05"]
    assert main([*argv, "--record", str(rec), "--no-progress"]) == 0
    capsys.readouterr()
    assert trace(sorted(rec.glob("*.jsonl")), tmp_path / "t.json", "--strict") == 0
    out = capsys.readouterr().out
    lines = verdicts(out)
    assert len(lines) == 2 and all(line.startswith("  PASS") for line in lines), out
    assert "NOT PROVEN" not in out and "bypass" not in out, out


def _starts(path: Path) -> int:
    """How many agent_started frames a cassette being written holds so far."""
    n = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:  # the line being written
            continue
        n += record.get("kind") == "frame" and record.get("type") == "agent_started"
    return n


def _wait_for(predicate: Callable[[], bool], what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + scaled(60)
    while not predicate():
        assert proc.poll() is None, f"fanout ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_runs_cut_by_sigterm_to_fanout_are_not_service_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "term"
    argv = ["fanout", "--users", "2", "--runs", "10", "--time-scale", "1"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "netra_diag", *argv, "--record", str(rec), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:

        def second_runs_started() -> bool:
            files = sorted(rec.glob("*.jsonl"))
            return len(files) == 2 and all(_starts(p) >= 2 for p in files)

        # (every user mid-way through its second run: one completed run, one in flight)
        _wait_for(second_runs_started, "each user's second run", proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=scaled(60)) == 143
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    cassettes = sorted(rec.glob("*.jsonl"))
    marks = [
        json.loads(line)
        for p in cassettes
        for line in p.read_text(encoding="utf-8").splitlines()
        if '"run_interrupted"' in line
    ]
    cut = [m for m in marks if m.get("name") == "run_interrupted" and m["data"].get("n_events")]
    assert cut, marks  # at least one run was stopped after some of its events
    assert trace(cassettes, tmp_path / "t.json", "--strict") == 0
    out = capsys.readouterr().out
    assert "never completed" not in out and "FAIL" not in out, out
    for mark in cut:
        run = f"{mark['data']['thread_id']}/{mark['data']['run_id']}"
        assert f"run {run} was stopped by the client in flight after " in out, out
    # each session completed a run before the cut one: a pass, whose caveat is the cut
    lines = verdicts(out)
    assert all(line.startswith("  PASS") for line in lines), out
    assert any(line.startswith("  PASS with caveats: run ") for line in lines), out


async def _record(path: Path, *, cancel: bool) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=HELD)) as svc:
        session = await Session.connect(svc.ws_url("/ws"), token=token, record=path)
        async with session:
            if not cancel:
                # the service holds the run: the client waits, gives up, no interrupt
                await session.run("hello", timeout=scaled(1.5))
                return
            run = asyncio.create_task(session.run("hello", timeout=scaled(60)))
            deadline = time.monotonic() + scaled(30)
            while not any(te.type == "agent_started" for te in session.history):
                assert time.monotonic() < deadline, "no run started"
                await asyncio.sleep(0.02)
            run.cancel()
            with pytest.raises(asyncio.CancelledError):
                await run


def test_a_run_the_service_left_unfinished_still_fails_and_a_cut_one_does_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stalled, cut = tmp_path / "stalled.jsonl", tmp_path / "cut.jsonl"
    asyncio.run(_record(stalled, cancel=False))
    asyncio.run(_record(cut, cancel=True))
    assert '"run_interrupted"' not in stalled.read_text(encoding="utf-8")
    assert '"run_interrupted"' in cut.read_text(encoding="utf-8")

    assert trace([stalled], tmp_path / "s.json", "--strict") == 3
    (line,) = verdicts(capsys.readouterr().out)
    assert line.startswith("  FAIL: run ") and "never completed" in line, line

    # (no error, but nothing a --strict gate may pass on)
    assert trace([cut], tmp_path / "c.json", "--strict") == 3
    out = capsys.readouterr().out
    (line,) = verdicts(out)
    # its only run was cut after agent_started: nothing was seen whole, so no pass either
    assert line.startswith("  INCONCLUSIVE: run ") and "stopped by the client in flight" in line
    assert "never completed" not in out and "FAIL" not in out and "PASS" not in line, out
    assert "note: the client stopped run " in out, out
