"""Flakiness over a history folder of real pytest runs, as CI keeps them: mixed formats, an
artifact that cannot be read, names that do not follow time, and the run being triaged.

Six runs of one suite: test_flip fails in runs 2 and 5, run 4 is an outage (every test errors
on a refused connection), test_retry passes on its retry in run 3. With run 4 left out, in time
order: test_flip PFPFP, test_retry PPRPP.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.cli import main
from netra_diag.errors import ReportParseError
from netra_diag.suites import triage

_ENV = {"QA_OUTAGE": "4", "QA_FLIP_FAILS": "2,5", "QA_RETRY": "3"}
_FLAKY = [("case_hist::test_flip", "PFPFP"), ("case_hist::test_retry", "PPRPP")]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], list[Path]]:
    """Runs 1-3 with pytest-json-report, then runs 1-6 as JUnit XML in a folder of their own:
    the JSON runs 1-3 started before the XML runs 4-6."""
    where = tmp_path_factory.mktemp("hist")
    as_json = run_history(
        where, STEADY_FLIP_OUTAGE, [1, 2, 3], env=_ENV, fmt="json", out=where / "json"
    )
    return run_history(where, STEADY_FLIP_OUTAGE, range(1, 7), env=_ENV), as_json


@pytest.fixture
def runs(made: tuple[list[Path], list[Path]]) -> list[Path]:
    return made[0]


def _flaky(report: object) -> list[tuple[str, str]]:
    flakiness = getattr(report, "flakiness", None)
    assert flakiness is not None
    return [(f.test_id, f.history) for f in flakiness.flaky]


def test_the_run_read_as_a_user_has_it(runs: list[Path]) -> None:
    report = triage(runs[-1], history=runs[0].parent)
    assert report.flakiness is not None
    assert report.flakiness.runs == 6 and report.flakiness.outage_runs == (3,)
    assert report.flakiness.outage_reasons[0].startswith(f"{runs[3]}: 3 of 3 tests failed")
    assert _flaky(report) == _FLAKY


def test_a_folder_of_junit_and_pytest_json_runs(
    made: tuple[list[Path], list[Path]], tmp_path: Path
) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for path in made[1] + made[0][3:]:
        shutil.copy(path, history)
    report = triage(history / "run-6.xml", history=history)
    assert _flaky(report) == _FLAKY
    assert report.flakiness is not None and report.flakiness.runs == 6


def test_a_truncated_run_is_named_and_the_others_judged(
    runs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history"
    shutil.copytree(runs[0].parent, history)
    whole = (history / "run-2.xml").read_bytes()
    (history / "run-2.xml").write_bytes(whole[: len(whole) // 2])  # (a download cut short)
    report = triage(history / "run-6.xml", history=history)
    # run 2 (test_flip's first failure) is left out, and said so with file and line
    assert _flaky(report) == [("case_hist::test_flip", "PPFP"), ("case_hist::test_retry", "PRPP")]
    (note,) = [w for w in report.warnings if w.startswith("history: ")]
    assert re.match(rf"history: {re.escape(str(history / 'run-2.xml'))}:\d+: not well-formed", note)
    assert note.endswith("that run is left out, flakiness is judged over the other 4 earlier runs")
    assert main(["triage", str(history / "run-6.xml"), "--history", str(history), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["flakiness"]["runs"] == 5 and note in out["run"]["warnings"]


def test_a_history_none_of_which_can_be_read_stops(
    runs: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "history"
    history.mkdir()
    (history / "run-1.xml").write_bytes(runs[0].read_bytes()[:300])
    with pytest.raises(ReportParseError, match=r"run-1\.xml:1: not well-formed XML"):
        triage(runs[-1], history=history)
    assert main(["triage", str(runs[-1]), "--history", str(history)]) == 2
    assert "run-1.xml:1: not well-formed XML" in capsys.readouterr().err


def test_names_out_of_time_order_and_a_copy_of_this_run(runs: list[Path], tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    # build ids that say nothing of time; CI's copy of this run sorts first by name
    for n, path in enumerate(runs[:-1], start=1):
        shutil.copy(path, history / f"build-{(n * 3) % 5}.xml")
    shutil.copy(runs[-1], history / "build-00.xml")
    report = triage(runs[-1], history=history)
    assert report.flakiness is not None and report.flakiness.runs == 6  # counted once
    assert _flaky(report) == _FLAKY
    assert any("in the order they started" in w for w in report.warnings)


def test_an_older_run_triaged_against_newer_ones_takes_its_place_in_time(
    runs: list[Path],
) -> None:
    # run 3 triaged again after run 6, its folder holding them all: it is not the newest
    report = triage(runs[2], history=runs[0].parent)
    assert _flaky(report) == _FLAKY


def test_an_artifact_kept_twice_is_one_run(runs: list[Path], tmp_path: Path) -> None:
    history = tmp_path / "history"
    shutil.copytree(runs[0].parent, history)
    shutil.copy(runs[2], history / "retried-build.xml")  # run 3 again, under another name
    report = triage(runs[-1], history=history)
    assert report.flakiness is not None and report.flakiness.runs == 6
    assert _flaky(report) == _FLAKY  # test_retry passed on retry once, not twice
    assert f"{history / 'run-3.xml'} is {history / 'retried-build.xml'} byte for byte" in (
        " ".join(report.warnings)
    )


def test_start_times_that_cannot_all_be_compared_are_said(runs: list[Path], tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for n, path in enumerate(runs[:-1], start=1):
        text = path.read_text(encoding="utf-8")
        if n in (1, 4):  # as an older pytest wrote it: local time, no zone
            text = re.sub(r'(timestamp="[^"]+)\+00:00"', r'\1"', text)
        (history / f"build-{(n * 3) % 5}.xml").write_text(text, encoding="utf-8")
    report = triage(runs[-1], history=history)
    (note,) = [w for w in report.warnings if w.startswith("the runs in")]
    assert note == (
        f"the runs in {history} are taken in the order of their names, but the reports say when "
        "they started in ways that cannot all be compared (3 with a time zone, 2 without), and "
        "those that can started in another order than their names: a flip in a test's history "
        "may be one of order"
    )


def test_the_history_folder_given_as_the_results_too_stops(
    runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # (its six runs would be merged as shards of one run, and each read again as history)
    folder = runs[0].parent
    assert main(["triage", str(folder), "--history", str(folder), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"{folder}: the results to triage and the --history folder at once" in err
    assert f"(the newest, say: {runs[-1]} --history {folder})" in err


def test_a_history_folder_without_a_run_is_said(runs: list[Path], tmp_path: Path) -> None:
    history = tmp_path / "history"
    (history / "logs").mkdir(parents=True)  # (the runs are one level down, say)
    (history / "logs" / "pytest.log").write_text("collected 3 items\n", encoding="utf-8")
    with pytest.raises(ReportParseError, match=r"logs: directory holds no \.xml or \.json"):
        triage(runs[-1], history=history)  # (nothing in it can be read: it stops)
    (history / "logs" / "pytest.log").unlink()
    (history / "logs").rmdir()
    report = triage(runs[-1], history=history)
    assert report.flakiness is not None and report.flakiness.runs == 1
    assert (
        f"history: {history} holds no run (results files, or folders of shards): flakiness is "
        "judged on this run alone"
    ) in report.warnings
    # this run's copy alone is the first build's history: nothing to say
    shutil.copy(runs[-1], history / "latest.xml")
    assert not [w for w in triage(runs[-1], history=history).warnings if "history" in w]
