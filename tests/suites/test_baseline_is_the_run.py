"""A baseline that is the run being triaged (the same file, a copy, or a folder the new results
were saved into) is said: its diff compares the run with itself, every failure "still failing",
none new, and the gate passed without a word. Real pytest runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_ENV = {"QA_FLIP_FAILS": "2"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Run 1 passes; in run 2 test_flip fails."""
    return run_history(tmp_path_factory.mktemp("same"), STEADY_FLIP_OUTAGE, [1, 2], env=_ENV)


def _said(report: object) -> list[str]:
    return [w for w in getattr(report, "warnings", ()) if "run being triaged" in w]


def test_the_results_file_given_as_its_own_baseline_is_said(
    runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    current = runs[1]
    (note,) = _said(triage(current, baseline=current))
    assert note.startswith(f"the baseline is the run being triaged ({current} given as both)")
    assert main(["triage", str(current), "--baseline", str(current), "--json"]) == ExitCode.OK
    warnings = json.loads(capsys.readouterr().out)["run"]["warnings"]
    assert any(w.startswith("the baseline is the run being triaged") for w in warnings)


def test_a_copy_of_the_results_as_baseline_is_said(runs: list[Path], tmp_path: Path) -> None:
    copy = tmp_path / "last-green.xml"
    shutil.copyfile(runs[1], copy)
    report = triage(runs[1], baseline=copy)
    (note,) = _said(report)
    assert f"({copy} is {runs[1]}, byte for byte)" in note
    assert "Warnings" in report.to_text() and note in report.to_text()


def test_new_results_saved_into_the_baseline_folder_are_said(
    runs: list[Path], tmp_path: Path
) -> None:
    folder = tmp_path / "baseline"
    folder.mkdir()
    shutil.copyfile(runs[0], folder / "junit-1.xml")
    shutil.copyfile(runs[1], folder / "junit-2.xml")
    (note,) = _said(triage(runs[1], baseline=folder))
    assert note.startswith(f"baseline: {folder / 'junit-2.xml'} is {runs[1]}, byte for byte")


def test_an_earlier_run_as_baseline_says_nothing_of_it(runs: list[Path]) -> None:
    report = triage(runs[1], baseline=runs[0])
    assert _said(report) == []
    assert report.diff is not None and report.diff.new_failures == ("case_hist::test_flip",)


def test_a_run_read_already_and_given_as_its_own_baseline_is_said(runs: list[Path]) -> None:
    from netra_diag.suites import load_results

    run = load_results(runs[1])
    (note,) = _said(triage(run, baseline=run))
    assert "(one SuiteRun given as both)" in note
    (note,) = _said(triage(run, baseline=load_results(runs[1])))
    assert f"(both started at {run.started} and hold the same results)" in note
    assert _said(triage(run, baseline=load_results(runs[0]))) == []
