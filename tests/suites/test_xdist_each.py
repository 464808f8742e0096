"""pytest-xdist's ``--dist each`` runs every test on every worker, and its JUnit file repeats each
test id once per worker: separate runs, which pytest counts one by one, not reruns (which
pytest-rerunfailures writes the same way, but does not count in the suite's ``tests``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runs import parse_pytest_summary, run_case_module

from netra_diag.suites import parse_results, triage

pytest.importorskip("xdist")

# One test fails on the second worker only; the others pass on both.
_WORKERS = """
import os


def test_connects():
    pass


def test_streams_events():
    assert os.environ.get("PYTEST_XDIST_WORKER") != "gw1", "no agent_completed on gw1"


def test_closes():
    pass
"""

# One test fails once and passes on its rerun; one fails every time.
_RERUNS = """
import pathlib

FLAG = pathlib.Path(__file__).with_name("first_attempt_done")


def test_reconnects():
    if not FLAG.exists():
        FLAG.write_text("x")
        raise AssertionError("first attempt")


def test_connects():
    pass


def test_auth():
    raise AssertionError("close 1008")
"""


def _counts(path: Path) -> dict[str, int]:
    counts = parse_results(path).counts.as_dict()
    del counts["flaky"]
    return counts


def test_dist_each_counts_every_run_as_pytest_does(tmp_path: Path) -> None:
    junit = tmp_path / "each.xml"
    said = run_case_module(
        tmp_path, "workers", _WORKERS, "-p", "no:rerunfailures", "-n", "2", "--dist", "each",
        f"--junitxml={junit}",
    )  # fmt: skip
    summary = parse_pytest_summary(said)
    assert summary["passed"] == 5 and summary["failed"] == 1, said
    assert _counts(junit) == summary
    report = triage([junit])
    text = report.to_text()
    # no invented retries: a test that passed on one worker did not "pass only on retry"
    assert "retry" not in report.headline
    assert "separate runs" in text and "--dist each" in text
    assert "runs of 1 test had different results: case_workers::test_streams_events" in text


def test_reruns_are_still_attempts_of_one_test(tmp_path: Path) -> None:
    pytest.importorskip("pytest_rerunfailures")
    junit = tmp_path / "reruns.xml"
    said = run_case_module(tmp_path, "reruns", _RERUNS, "--reruns", "1", f"--junitxml={junit}")
    summary = parse_pytest_summary(said)  # "1 failed, 2 passed, 2 rerun"
    assert summary["passed"] == 2 and summary["failed"] == 1, said
    assert _counts(junit) == summary
    report = triage([junit])
    assert "1 test passed only on retry" in report.headline
    assert "separate runs" not in report.to_text()
