"""``netra-diag fanout --faults unknown_event_type``: a client that tolerates unknown event types
passes. The injected event used to land after agent_completed now and then, which the fan-out
rightly counted as 'contract: event_after_terminal' (exit 3): a fault the name never promised."""

from __future__ import annotations

import json

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


def test_unknown_event_types_alone_do_not_fail_the_fanout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["fanout", "--users", "6", "--runs", "3", "--faults", "unknown_event_type"]
    code = main([*argv, "--time-scale", "0", "--no-progress", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["contract"]["errors"] == {}, data["contract"]
    assert code == ExitCode.OK == data["exit_code"]
    assert data["runs_completed"] == 18 and data["events_lost"] == 0
