"""Runs that ended early (pytest.exit, Ctrl-C) and pytest-xdist workers that crashed: what pytest
itself wrote (tests/fixtures/suites/pytest/, tests/fixtures/suites/pytest-xdist/, made as
tests/fixtures/suites/README.md says), counted as pytest counted them, never called a pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runs import FIXTURES, parse_pytest_summary

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import parse_results, triage

PYTEST = FIXTURES / "pytest"
XDIST = FIXTURES / "pytest-xdist"


def _said(path: Path) -> dict[str, int]:
    return parse_pytest_summary(path.read_text(encoding="utf-8"))


def _counts(path: Path) -> dict[str, int]:
    counts = parse_results(path).counts.as_dict()
    del counts["flaky"]
    return counts


@pytest.mark.parametrize(
    "results", ["exit.junit.xml", "exit.json", "ctrl_c.junit.xml", "ctrl_c.json"]
)
def test_an_interrupted_run_counts_as_pytest_said(results: str) -> None:
    # pytest counts no result for the test it was running when pytest.exit or Ctrl-C stopped
    # it; its JUnit still holds an empty <testcase time="0.000"/> for it, and pytest-json-report
    # a "passed" test with a setup stage only.
    run = results.split(".")[0]
    assert _counts(PYTEST / results) == _said(PYTEST / f"{run}.summary.txt")


@pytest.mark.parametrize("results", ["exit.junit.xml", "exit.json"])
def test_an_interrupted_run_is_never_called_a_pass(
    results: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # pytest: "1 passed", exit code 2; three of the four tests never ran.
    report = triage(PYTEST / results)
    assert report.headline.startswith("the run was interrupted")
    assert "pass" not in report.headline.split(";")[0]
    assert "but the pass proves little" in report.headline
    assert report.weak_signals and report.weak_signals[0].startswith("the run was interrupted")
    # The runner exited non-zero; so does triage, --strict or not: what did not run has no
    # result, so nothing failing proves nothing (a CI gate must not pass it).
    assert main(["triage", str(PYTEST / results)]) == ExitCode.FAILURE
    assert "interrupted" in capsys.readouterr().err
    assert main(["triage", str(PYTEST / results), "--strict"]) == ExitCode.FAILURE
    baseline = ["--baseline", str(PYTEST / results)]
    assert main(["triage", str(PYTEST / results), *baseline]) == ExitCode.FAILURE
    github = report.to_github()
    assert github.startswith("::warning ") and "interrupted" in github.splitlines()[0]
    assert report.to_dict()["run"]["interrupted"]


def test_the_json_report_says_how_many_collected_tests_never_ran() -> None:
    report = triage(PYTEST / "exit.json")
    # collected 4; pytest counted 1 (the one stopped by pytest.exit and the one after it never
    # ran to an end)
    assert "3 of 4 collected tests did not run" in report.headline


def test_an_interrupted_run_with_failures_says_so_first() -> None:
    report = triage(PYTEST / "ctrl_c.junit.xml")
    assert report.headline.startswith("the run was interrupted")
    assert "1 of 2" in report.headline  # the failing suite follows


def test_an_uninterrupted_run_is_not_called_interrupted(tmp_path: Path) -> None:
    results = tmp_path / "junit.xml"
    results.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="1">'
        '<testcase classname="test_a" name="test_b" time="0.1"/></testsuite></testsuites>'
    )
    report = triage(results)
    assert "interrupted" not in report.headline and not report.weak_signals


@pytest.mark.parametrize("results", ["crash.junit.xml", "crash.json"])
def test_a_crashed_xdist_worker_counts_as_pytest_said(results: str) -> None:
    # xdist reports the test a crashed worker was running as failed ("2 failed, 2 passed");
    # pytest's JUnit writes it as an error "failed on setup with ...".
    assert _counts(XDIST / results) == _said(XDIST / "crash.summary.txt")


def test_a_crashed_xdist_worker_is_named_as_such() -> None:
    report = triage(XDIST / "crash.junit.xml")
    crashed = report.current.get("case_worker_crash::test_native_crash")
    assert crashed is not None and crashed.primary is not None
    assert crashed.primary.phase != "setup"  # it crashed while it ran, not in its set-up
    (cluster,) = [c for c in report.clusters if "case_worker_crash::test_native_crash" in c.tests]
    assert "crashed" in cluster.because


def test_a_crashed_xdist_worker_is_no_missing_error() -> None:
    # the file declares errors="1" for it: no warning of an error without a testcase
    run = parse_results(XDIST / "crash.junit.xml")
    assert not any("declares" in w for w in run.warnings)


def test_a_run_stopped_by_exitfirst_says_how_many_tests_did_not_run() -> None:
    # pytest -x: "1 failed, 1 passed"; two of the four collected tests never ran, which the
    # JSON's summary says ("collected": 4) and the JUnit cannot
    report = triage(PYTEST / "maxfail.json")
    assert report.headline.startswith(
        "the run stopped early (-x or --maxfail): 2 of 4 collected tests did not run"
    )
    assert _counts(PYTEST / "maxfail.json") == _said(PYTEST / "maxfail.summary.txt")


def test_deselected_tests_are_not_tests_that_did_not_run() -> None:
    report = triage(PYTEST / "deselected.json")  # pytest -k: "1 passed, 3 deselected"
    assert not report.current.interrupted
    assert "did not run" not in report.headline


def test_an_xdist_json_report_is_not_said_to_omit_its_collectors() -> None:
    # under pytest-xdist, pytest-json-report writes "collectors" only when one failed
    run = parse_results(XDIST / "crash.json")
    assert not any("collectors" in w for w in run.warnings)


INTERNAL = PYTEST / "internal"


@pytest.mark.parametrize("results", ["internal.junit.xml", "internal.json"])
def test_an_internal_error_is_no_test_and_stops_the_run(results: str) -> None:
    # pytest: INTERNALERROR after test_b, "2 passed", exit code 3; its JUnit has a testcase
    # classname="pytest" name="internal" with an <error message="internal error">
    assert _counts(INTERNAL / results) == _said(INTERNAL / "internal.summary.txt")
    report = triage(INTERNAL / results)
    assert report.headline.startswith("pytest stopped on an internal error")
    assert "but the pass proves little" in report.headline
    assert not any("declares" in w for w in report.warnings)
