"""``netra-diag fanout`` with the emulator's ``leak_other_user`` fault: the leaked events are
cross-user contamination (the isolation verdict) and nothing else; they must not also turn into
contract findings about the *owner's* run as seen from the receiver ("run of user-0003 never
completed", "tool_completed has no matching tool_executing"), which its owner received whole."""

from __future__ import annotations

import json

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


def test_leaked_events_are_contamination_not_phantom_contract_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["fanout", "--users", "4", "--runs", "2", "--time-scale", "0.002", "--no-progress"]
    code = main([*argv, "--faults", "leak_other_user@0.5", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["isolation"]["verdict"] == "contaminated"
    assert code == ExitCode.CONTRACT
    assert doc["runs_completed"] == doc["runs_total"] == 8
    assert doc["events_lost"] == 0
    # Every owner got its runs whole: no run, as the contract judges them, is broken.
    assert doc["contract"]["errors"] == {}, doc["contract"]
