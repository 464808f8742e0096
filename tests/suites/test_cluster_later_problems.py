"""A teardown error after a failed call is in a cluster too: the fixture whose teardown breaks
after many failures is one cause of its own, each test still counted once.

The suite below is run for real (pytest, JUnit and pytest-json-report when installed). Three
tests fail for two causes and then error in the same fixture's teardown; one passes and then
errors there; pytest's own summary is what the counts are checked against.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from suite_runs import SETUP_AND_TEARDOWN, has_json_report, parse_pytest_summary, run_case_module

from netra_diag.suites import Category, Cluster, Recording, cluster_failures, parse_results, triage
from netra_diag.suites.phases import Phase
from netra_diag.suites.triage import TriageReport

SUITE = """
import pytest


def create_token(sub):
    return f"token-for-{sub}"


@pytest.fixture
def session_pool():
    yield "pool"
    raise RuntimeError("session pool still holds 3 open connections")


def test_drift_a(session_pool):
    create_token("user-1", expires_in_seconds=60)


def test_drift_b(session_pool):
    create_token("user-2", expires_in_seconds=60)


def test_no_events(session_pool):
    events = []
    assert events, "the agent sent no events"


def test_passes_then_pool_breaks(session_pool):
    pass


def test_passes():
    pass
"""
DRIFT_A, DRIFT_B = "case_pool::test_drift_a", "case_pool::test_drift_b"
NO_EVENTS = "case_pool::test_no_events"
PASSED_THEN = "case_pool::test_passes_then_pool_breaks"
FAILED_THEN = (DRIFT_A, DRIFT_B, NO_EVENTS)
POOL = "session pool still holds <n> open connections"


def run_suite(src: Path, suite: str, *report: str) -> str:
    """Run ``suite`` (as case_pool.py) with pytest in ``src``; pytest's summary line."""
    return run_case_module(src, "pool", suite, *report)


@pytest.fixture(scope="module")
def pool_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, int]]:
    """The suite's reports (JUnit, and pytest-json's when installed) and pytest's summary."""
    src = tmp_path_factory.mktemp("later-problems")
    extra = ["--json-report", f"--json-report-file={src / 'report.json'}"]
    json_args = extra if has_json_report() else []
    stdout = run_suite(src, SUITE, f"--junitxml={src / 'junit.xml'}", *json_args)
    reports = [src / "junit.xml"] + ([src / "report.json"] if json_args else [])
    return reports, parse_pytest_summary(stdout)


def _pool_cluster(report: TriageReport) -> Cluster:
    (cluster,) = [c for c in report.clusters if c.signature.message == POOL]
    return cluster


def test_the_runner_counts_each_teardown_error_apart(
    pool_run: tuple[list[Path], dict[str, int]],
) -> None:
    reports, summary = pool_run
    # pytest: "3 failed, 2 passed, 4 errors": each teardown error is a result of its own
    assert (summary["failed"], summary["passed"], summary["errors"]) == (3, 2, 4)
    for path in reports:
        assert triage(path).current.counts.as_dict().items() >= summary.items(), path.name


def test_teardown_errors_after_failures_are_one_cluster_in_phase_teardown(
    pool_run: tuple[list[Path], dict[str, int]],
) -> None:
    reports, _ = pool_run
    for path in reports:
        cluster = _pool_cluster(triage(path))
        assert cluster.phase is Phase.TEARDOWN, path.name
        assert cluster.representative == PASSED_THEN  # the one test whose outcome it decided
        assert set(cluster.tests) == {PASSED_THEN, *FAILED_THEN}
        assert set(cluster.counted_elsewhere) == set(FAILED_THEN)
        assert cluster.counted == 1
        assert cluster.because.startswith(
            "grouped because same RuntimeError with message “session pool still holds <n> "
            "open connections”"
        )
        assert (
            "3 of its 4 tests (case_pool::test_drift_a, case_pool::test_drift_b, "
            "case_pool::test_no_events) had already failed before this error in teardown: they "
            "count with their failures' clusters, not here"
        ) in cluster.because


def test_each_failing_test_counts_once_with_the_cause_that_decided_it(
    pool_run: tuple[list[Path], dict[str, int]],
) -> None:
    reports, _ = pool_run
    for path in reports:
        report = triage(path)
        counted = [t for c in report.clusters for t in c.tests if t not in c.counted_elsewhere]
        assert sorted(counted) == sorted([*FAILED_THEN, PASSED_THEN]), path.name
        assert sum(c.counted for c in report.clusters) == 4
        drift = next(c for c in report.clusters if DRIFT_A in c.tests and c.counted == 2)
        assert drift.tests == (DRIFT_A, DRIFT_B)
        assert drift.counted_elsewhere == ()
        assert str(drift.phase) == "setup"  # the helper's drift, not the teardown
        # the headline counts tests as pytest does: of 5, one passed without an error
        assert report.headline.startswith("1 of 5 case_pool tests pass; "), report.headline


def test_every_rendering_shows_the_teardown_cluster_and_its_tests(
    pool_run: tuple[list[Path], dict[str, int]],
) -> None:
    reports, _ = pool_run
    report = triage(reports[0])
    text = report.to_text()
    assert "4× uncategorised — phase: teardown" in text
    assert "had already failed before this error in teardown" in text
    markdown = report.to_markdown()
    (row,) = [line for line in markdown.splitlines() if "session pool" in line]
    assert "| 4 |" in row
    assert "| teardown |" in row
    data = report.to_dict()
    (pool,) = [c for c in data["clusters"] if c["message"] == POOL]
    assert pool["phase"] == "teardown"
    assert set(pool["tests"]) == {PASSED_THEN, *FAILED_THEN}
    assert "count with their failures' clusters, not here" in pool["because"]
    json.dumps(data)
    github = report.to_github()
    assert "had already failed before this error in teardown" in github


def test_a_teardown_error_after_a_setup_error_joins_its_own_cluster(tmp_path: Path) -> None:
    run_suite(tmp_path, SETUP_AND_TEARDOWN, f"--junitxml={tmp_path / 'junit.xml'}")
    report = triage(tmp_path / "junit.xml")
    by_phase = {str(c.phase): c for c in report.clusters}
    assert set(by_phase) == {"setup", "teardown"}
    assert by_phase["setup"].tests == by_phase["teardown"].tests == ("case_pool::test_agent",)
    assert by_phase["setup"].counted == 1
    assert by_phase["teardown"].counted == 0
    assert by_phase["teardown"].because.endswith(
        "its test had already failed before this error in teardown: it counts with its "
        "failure's cluster, not here"
    )


def test_the_recordings_of_tests_that_failed_first_do_not_split_their_teardown_cluster(
    pool_run: tuple[list[Path], dict[str, int]],
) -> None:
    # What a test's recording shows is the cause of its deciding failure, not of its teardown.
    reports, _ = pool_run
    run = parse_results(reports[0])
    crashed = Recording("a.jsonl", frames_in=2, close_code=1011, close_reason="Internal error")
    refused = Recording("b.jsonl", frames_in=1, close_code=1008, close_reason="Auth failed")
    linked = {DRIFT_A: (crashed,), NO_EVENTS: (refused,)}
    clusters = cluster_failures(run, linked)
    (pool,) = [c for c in clusters if c.signature.message == POOL]
    assert set(pool.tests) == {PASSED_THEN, *FAILED_THEN}
    assert pool.phase is Phase.TEARDOWN
    assert pool.category is Category.OTHER
    assert "recording" not in pool.because
    no_events = next(c for c in clusters if NO_EVENTS in c.tests and c is not pool)
    assert no_events.category is Category.SECRET_CLAIM_MISMATCH  # its own recording's cause


def test_one_test_of_several_that_failed_first_is_said_in_the_singular(
    pool_run: tuple[list[Path], dict[str, int]],
) -> None:
    reports, _ = pool_run
    run = parse_results(reports[0])
    # the same run without test_drift_b and test_no_events: one of the two teardown errors
    # followed a failure
    kept = {k: v for k, v in run.details.items() if k not in (DRIFT_B, NO_EVENTS)}
    (pool,) = [
        c for c in cluster_failures(replace(run, details=kept)) if c.signature.message == POOL
    ]
    assert pool.counted_elsewhere == (DRIFT_A,)
    assert pool.because.endswith(
        "; 1 of its 2 tests (case_pool::test_drift_a) had already failed before this error in "
        "teardown: it counts with its failure's cluster, not here"
    )
