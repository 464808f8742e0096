"""``netra-diag replay`` / ``trace`` arguments that make no sense are usage errors, and the replay
banner states the recorded and the played duration once each."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.cli import main
from netra_diag.cli.replay import banner
from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.live.replay import load_plan
from netra_diag.live.session import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


async def record(path: Path) -> Path:
    def token() -> str:
        return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())

    config = EmulatorConfig(timing=TimingProfile(time_scale=0.02))
    async with (
        run_service(config) as svc,
        Session.connect(svc.url, token=token, record=path) as session,
    ):
        await session.run("hello", timeout=10 * TIMEOUT_FACTOR)
    return path


async def test_bad_speed_and_raw_chars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = await record(tmp_path / "run.jsonl")
    for speed in ("inf", "nan", "0", "-1"):
        code = await asyncio.to_thread(main, ["replay", str(cassette), "--speed", speed])
        assert code == 2, speed
        assert "--speed must be a finite number > 0" in capsys.readouterr().err
    code = main(["trace", str(cassette), "-o", str(tmp_path / "t.json"), "--raw-chars", "-5"])
    assert code == 2
    assert "--raw-chars must be >= 0, got -5" in capsys.readouterr().err


async def test_banner_names_each_speed_once(tmp_path: Path) -> None:
    cassette = await record(tmp_path / "run.jsonl")
    plan = load_plan(cassette)
    text = banner("run.jsonl", plan, 2.0)
    assert text.startswith("replaying run.jsonl (1 connection, ")
    half = f"{plan.duration_s / 2:.3f}"
    assert text.endswith(f"; recorded {plan.duration_s:.3f} s, {half} s at speed 2)")
    assert text.count("speed") == 1  # was "(… s at speed 1) at speed 2"
