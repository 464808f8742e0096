"""Runs the client stopped waiting for before any event came are counted among the runs it cut
short. They were left out ("4 runs in 2 sessions" of fanout's 5 timeouts: the one that got no
event was not named), and a session whose every request went unanswered in the client's short
wait read as a broken event contract (unanswered_request) rather than a timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
from timed_out_runs import record_silent_timeouts

from netra_diag import investigation, report
from netra_diag.cli.exit_codes import ExitCode


def test_runs_that_got_no_event_are_cut_short_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec"
    record_silent_timeouts(record)
    capsys.readouterr()
    inv = investigation.analyse(record, results=[])
    checks = {c.name: c for c in inv.checks}
    runs = checks["runs"]
    assert not runs.passed
    assert runs.detail.startswith(
        "2 runs in 2 sessions cut short by the client 0.5 s after their requests (they got no "
        "event)"
    ), runs.detail
    assert checks["contracts"].status == "not verified", checks["contracts"]
    assert "broke the event contract" not in inv.headline, inv.headline
    assert report.exit_code_for(inv.checks) is ExitCode.TIMEOUT
