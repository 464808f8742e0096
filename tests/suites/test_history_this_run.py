"""An older run triaged again with its history folder: the letters' legend says where this
run's letter is. It said "this run last" while the folder's later runs came after it. Real
pytest runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_ENV = {"QA_FLIP_FAILS": "2,4"}  # (test_flip: PFPFP)


def test_the_legend_places_an_older_run_among_later_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = run_history(tmp_path, STEADY_FLIP_OUTAGE, range(1, 6), env=_ENV)
    older = triage(runs[2], history=runs[0].parent).to_text()
    assert "oldest first, this run the 3rd of 5 by when they started (2 later runs after it):" in (
        older
    )
    assert "this run last" not in older
    newest = triage(runs[-1], history=runs[0].parent).to_text()
    assert "oldest first, this run last: P passed" in newest
    assert main(["triage", str(runs[2]), "--history", str(runs[0].parent), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["flakiness"]["this_run_number"] == 3
