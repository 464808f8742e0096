"""A baseline that ran hours after the run it is compared with is said: RESULTS and --baseline
given the wrong way round turn every fix into a new failure. Real pytest runs; the later run's
report is dated three hours on, as a nightly build's would be."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_SOURCE = """
import os


def test_fixed_in_run_2():
    assert os.environ["QA_RUN"] != "1"
"""

_SWAPPED = "the baseline ran 3 h after this run: RESULTS and --baseline swapped?"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    old, new = run_history(tmp_path_factory.mktemp("swap"), _SOURCE, [1, 2])
    text = new.read_text(encoding="utf-8")
    stamp = re.search(r'timestamp="([^"]+)"', text)
    assert stamp is not None
    later = datetime.fromisoformat(stamp.group(1)) + timedelta(hours=3)
    new.write_text(text.replace(stamp.group(1), later.isoformat()), encoding="utf-8")
    return old, new


def test_results_and_baseline_swapped_are_said(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = runs
    report = triage(old, baseline=new)  # (the wrong way round)
    assert report.diff is not None and report.diff.new_failures == (
        "case_hist::test_fixed_in_run_2",
    )
    assert _SWAPPED in [f.phrase for f in report.findings]
    assert f"  note: {_SWAPPED}" in report.to_text()
    assert main(["triage", str(old), "--baseline", str(new), "--json"]) == ExitCode.NEW_FAILURES
    assert json.loads(capsys.readouterr().out)["diff"]["baseline_later_s"] >= 3 * 3600 - 60


def test_the_right_way_round_says_nothing_of_it(runs: tuple[Path, Path]) -> None:
    old, new = runs
    report = triage(new, baseline=old)
    assert report.diff is not None and report.diff.fixed == ("case_hist::test_fixed_in_run_2",)
    assert report.diff.baseline_later_s == 0.0
    assert "swapped" not in report.to_text()
