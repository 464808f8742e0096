"""``fanout`` against an endpoint that runs no agent (the older generation's echo endpoint,
``/ws/test``): no critical event arrives, and the summary says so rather than "9 of 9 expected
critical events lost", a count that was the protocol's minimum per run, not one measured."""

from __future__ import annotations

import pytest
from live_kit import emulator

from netra_diag.cli import main


def test_no_event_in_any_run_is_not_reported_as_a_count_of_lost_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with emulator() as svc:
        main(["fanout", svc.ws_url("/ws/test"), "--users", "3", "--no-progress"])
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("events:"))
    assert "0 critical received; none in any run (each should have had at least" in line, out
    assert "expected critical events lost" not in line
