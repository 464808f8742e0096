"""A test much slower than its own history is said without a baseline: real pytest runs, the
times slept read from QA_RUN, triaged with --history alone.

test_slow takes 0.05 s in runs 1-4 and 1.3 s in run 5 (the one triaged): slower than its
history. test_noisy took 1.4 s once before: 1.3 s now is within its own noise. test_slow_failure
is slow now and fails: a failure already, not a slowdown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qa_history_runs import run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_SOURCE = """
import os
import time

RUN = int(os.environ["QA_RUN"])


def test_steady():
    pass


def test_slow():
    time.sleep(1.3 if RUN == 5 else 0.05)


def test_noisy():
    time.sleep({1: 0.05, 2: 1.4, 3: 0.05, 4: 0.05, 5: 1.3}.get(RUN, 0.05))


def test_slow_failure():
    if RUN == 5:
        time.sleep(1.2)
        raise AssertionError("no event within 1.2 s")
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return run_history(tmp_path_factory.mktemp("slow"), _SOURCE, range(1, 6))


def test_a_test_much_slower_than_its_history_is_said(
    runs: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    report = triage(runs[-1], history=runs[0].parent)
    assert report.flakiness is not None
    (slow,) = report.flakiness.slower
    assert slow.test_id == "case_hist::test_slow" and slow.runs == 4
    assert slow.median < 0.5 and slow.after >= 1.3
    assert slow.few_runs  # (4 earlier passes: said with a caveat)
    assert "1 test slower than its history" in [f.phrase for f in report.findings]
    text = report.to_text()
    assert "Slower than their history" in text
    assert "case_hist::test_slow: 0." in text and "the median of 4 earlier passes" in text
    assert "few earlier runs" in text
    assert "test_noisy" not in text.split("Slower than their history")[1].split("\n\n")[0]
    # (a slowdown does not fail the run: the failing test does)
    code = main(["triage", str(runs[-1]), "--history", str(runs[0].parent), "--json"])
    assert code == ExitCode.FAILURE
    data = json.loads(capsys.readouterr().out)["flakiness"]["slower_than_history"]
    assert [s["test_id"] for s in data] == ["case_hist::test_slow"]
    assert data[0]["earlier_passes"] == 4 and data[0]["few_runs"] is True


def test_two_earlier_runs_are_too_few_to_judge(runs: list[Path], tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    for run in runs[2:4]:
        (history / run.name).write_bytes(run.read_bytes())
    report = triage(runs[-1], history=history)
    assert report.flakiness is not None and report.flakiness.slower == ()


def test_with_a_baseline_too_the_headline_says_slower_once(runs: list[Path]) -> None:
    report = triage(runs[-1], history=runs[0].parent, baseline=runs[-2])
    phrases = [f.phrase for f in report.findings]
    # (one run to compare with: test_noisy and the failure are slower than in the baseline)
    assert "3 tests slower than in the baseline" in phrases
    assert "1 test slower than its history" in phrases
    assert report.headline.count("slower") <= 1
