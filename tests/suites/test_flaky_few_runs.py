"""A history too short to show a test flipping back and forth says so, not "no flaky tests"
alone, which read as a finding. Real pytest runs."""

from __future__ import annotations

from pathlib import Path

from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.suites import triage


def test_two_runs_are_too_few_and_three_are_enough(tmp_path: Path) -> None:
    runs = run_history(tmp_path / "a", STEADY_FLIP_OUTAGE, [1, 2, 3])
    two = triage(runs[1], history=[runs[0]])
    assert two.flakiness is not None
    assert two.flakiness.summary() == (
        "no flaky tests over 2 runs: too few to see a test flip back and forth (3 needed)"
    )
    assert "Flakiness: no flaky tests over 2 runs: too few" in two.to_text()
    three = triage(runs[2], history=runs[:2])
    assert three.flakiness is not None
    assert three.flakiness.summary() == "no flaky tests over 3 runs"


def test_an_outage_run_is_not_one_of_the_runs_that_can_show_it(tmp_path: Path) -> None:
    # run 2 is an outage (left out): runs 1 and 3 are two runs judged
    runs = run_history(tmp_path, STEADY_FLIP_OUTAGE, [1, 2, 3], env={"QA_OUTAGE": "2"})
    report = triage(runs[2], history=runs[:2])
    assert report.flakiness is not None and report.flakiness.outage_runs == (1,)
    assert report.flakiness.summary() == (
        "no flaky tests over 3 runs; 1 outage run left out: too few to see a test flip back "
        "and forth (3 needed)"
    )
