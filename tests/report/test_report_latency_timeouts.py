"""The latency report says when runs timed out: their times are only known to be at least the
client's wait. On recordings where most runs timed out it exited 0, "OK, but not verified:
sla", with no word of them, where the investigation report on the same folder exits 4."""

from __future__ import annotations

from pathlib import Path

import pytest
from timed_out_runs import record_silent_timeouts

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


def test_timed_out_runs_make_the_latency_report_a_timeout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec"
    record_silent_timeouts(record)
    capsys.readouterr()
    out = tmp_path / "report"
    argv = ["report", "latency_sla", "-p", "recordings", str(record), "--out", str(out)]
    assert main([*argv, "--no-html"]) == ExitCode.TIMEOUT
    text = capsys.readouterr().out
    assert "2 runs in 2 sessions cut short by the client" in text, text
    assert "their timings are only known to be at least the client's wait" in text, text
