"""``trace --strict`` on a recording made against a service whose auth was bypassed (DEMO mode):
the token was never validated, so the run proves nothing and --strict must not pass it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.cli import main
from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.emulator.config import AuthMode
from netra_diag.live.session import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


async def record(path: Path, auth: AuthMode) -> Path:
    config = EmulatorConfig(auth=auth, timing=TimingProfile(time_scale=0.02))
    async with (
        run_service(config) as svc,
        Session.connect(svc.url, token=token, record=path) as session,
    ):
        await session.run("hello", timeout=10 * TIMEOUT_FACTOR)
    return path


async def test_strict_fails_a_run_whose_auth_was_bypassed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    demo = await record(tmp_path / "demo.jsonl", AuthMode.DEMO)
    out = str(tmp_path / "t.json")
    # Without --strict the trace is written (rc 0), and the verdict says first that the run
    # proves nothing: no longer "PASS with caveats".
    assert main(["trace", str(demo), "-o", out]) == 0
    assert "  NOT PROVEN: auth was bypassed" in capsys.readouterr().out
    # With --strict it was "PASS with caveats … token was not validated", rc 0.
    assert main(["trace", str(demo), "-o", out, "--strict"]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("  FAIL (--strict): auth was bypassed (")
    assert lines[1].endswith("the run proves nothing")
    assert lines[2].startswith("  contract: NOT PROVEN: auth was bypassed")
    strict = await record(tmp_path / "strict.jsonl", AuthMode.STRICT)
    assert main(["trace", str(strict), "-o", out, "--strict"]) == 0
    assert "FAIL" not in capsys.readouterr().out
