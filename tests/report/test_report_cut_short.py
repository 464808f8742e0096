"""Runs the client stopped waiting for sooner than the protocol lets the service take (30 s
between events) are no proof of a broken contract: recordings of a fan-out with a short
--timeout against a service pacing its runs normally once read "every session broke the event
contract (no_terminal)", exit 3, for a service that did nothing wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation, report
from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, start_in_thread

# Realistic pace, a tool call in every run: each run takes well over the client's 0.6 s wait.
PACED = TimingProfile(time_scale=1.0, tool_calls=(1, 2))


def test_runs_cut_short_by_the_client_are_a_timeout_not_a_broken_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec"
    with start_in_thread(EmulatorConfig(auth=AuthMode.STRICT, timing=PACED)) as svc:
        argv = ["fanout", str(svc.url), "--users", "2", "--runs", "1", "--timeout", "0.6"]
        main([*argv, "--record", str(record)])
    capsys.readouterr()

    inv = investigation.analyse(record, results=[])
    checks = {c.name: c for c in inv.checks}
    runs = checks["runs"]
    assert not runs.passed
    assert runs.detail.startswith("2 runs in 2 sessions cut short by the client ")
    assert "(the protocol allows 30 s between events)" in runs.detail
    assert checks["contracts"].status == "not verified"
    assert "broke the event contract" not in inv.headline
    assert inv.headline.startswith("2 runs in 2 sessions cut short by the client")
    assert report.exit_code_for(inv.checks) is ExitCode.TIMEOUT


def test_one_cut_short_run_is_named_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec"
    with start_in_thread(EmulatorConfig(auth=AuthMode.STRICT, timing=PACED)) as svc:
        argv = ["fanout", str(svc.url), "--users", "1", "--runs", "1", "--timeout", "0.6"]
        main([*argv, "--record", str(record)])
    capsys.readouterr()
    runs = {c.name: c for c in investigation.analyse(record, results=[]).checks}["runs"]
    assert runs.detail.startswith("1 run in 1 session cut short by the client ")
    assert "–" not in runs.detail.split(" after its last event")[0]
    assert runs.detail.endswith(
        " after its last event (the protocol allows 30 s between events): not counted as broken"
    )
