"""The latency report says when runs timed out: their times are only known to be at least the
client's wait. On recordings where most runs timed out it exited 0, "OK, but not verified:
sla", with no word of them, where the investigation report on the same folder exits 4."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, start_in_thread

# So slow a pace that no run's first event comes within the client's 0.5 s wait.
SLOW = TimingProfile(time_scale=20.0, tool_calls=(1, 1))


def test_timed_out_runs_make_the_latency_report_a_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec"
    with start_in_thread(EmulatorConfig(auth=AuthMode.STRICT, timing=SLOW)) as svc:
        argv = ["fanout", str(svc.url), "--users", "2", "--runs", "1", "--timeout", "0.5"]
        assert main([*argv, "--record", str(record)]) == ExitCode.TIMEOUT
    capsys.readouterr()
    out = tmp_path / "report"
    argv = ["report", "latency_sla", "-p", "recordings", str(record), "--out", str(out)]
    assert main([*argv, "--no-html"]) == ExitCode.TIMEOUT
    text = capsys.readouterr().out
    assert "2 runs in 2 sessions cut short by the client" in text, text
    assert "their timings are only known to be at least the client's wait" in text, text
