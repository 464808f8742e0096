"""The run being triaged given as its shard files (``hist/run-3/*.xml``), its shard folder
sitting in the --history folder, counts once: it was read again as an earlier run, and its
tests' histories ended with the same run twice ("PFPFF" over 4 runs of 3). Real pytest shards:
each run's folder holds two shards, a steady one and one whose test flips."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.suites import triage

_STEADY = "def test_steady():\n    pass\n"
_FLIP = """
import os


def test_flip():
    assert os.environ["QA_RUN"] != "2"
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("shards")
    for n in (1, 2, 3):
        out = where / "hist" / f"run-{n}"
        run_history(where / "a", _STEADY, [n], out=out, name="shard-a")
        run_history(where / "b", _FLIP, [n], out=out, name="shard-b")
    return where / "hist"


def test_the_shard_files_of_a_run_in_the_history_count_once(history: Path) -> None:
    files = sorted((history / "run-3").glob("*.xml"))
    assert len(files) == 2
    for given in (files, files[1:], history / "run-3"):
        report = triage(given, history=history)
        assert report.flakiness is not None and report.flakiness.runs == 3, given
    flips = triage(files, history=history).flakiness
    assert flips is not None and [(f.test_id, f.history) for f in flips.flaky] == [
        ("case_hist::test_flip", "PFP")
    ]


def test_on_the_command_line_too(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(f) for f in sorted((history / "run-3").glob("*.xml"))]
    assert main(["triage", *files, "--history", str(history)]) == 0
    assert "Flakiness: 1 flaky test over 3 runs" in capsys.readouterr().out


def test_a_copy_of_the_shards_in_the_history_counts_once(history: Path, tmp_path: Path) -> None:
    # the run triaged from its own folder, its shards also downloaded into the history
    given = tmp_path / "results"
    shutil.copytree(history / "run-3", given)
    folder = tmp_path / "hist"
    shutil.copytree(history, folder)
    report = triage(sorted(given.glob("*.xml")), history=folder)
    assert report.flakiness is not None and report.flakiness.runs == 3
    report = triage(given, history=folder)
    assert report.flakiness is not None and report.flakiness.runs == 3
