"""What the reports count of clusters when a test is in two: each failing test is counted once,
with the cause that decided its outcome (the teardown error after its failure is said, not
counted again), in the text header, the suites' causes, the JSON, GitHub's notice and the chart.
"""

from __future__ import annotations

import json

import pytest
from test_cluster_later_problems import FAILED_THEN, POOL, SUITE, run_suite

from netra_diag.charts.triage import causes_figure
from netra_diag.suites import triage
from netra_diag.suites.render_github import MAX_ANNOTATIONS
from netra_diag.suites.triage import TriageReport


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> TriageReport:
    src = tmp_path_factory.mktemp("counts-rendered")
    run_suite(src, SUITE, f"--junitxml={src / 'junit.xml'}")
    return triage(src / "junit.xml")


def test_the_text_header_counts_each_failing_test_once(report: TriageReport) -> None:
    # 3 tests failed and errored after; 1 passed and errored: 4 failing tests, in 3 clusters
    assert "Causes: 3 clusters of 4 failing tests" in report.to_text()
    assert "4 failing tests in 3 causes, 5 tests in all" in repr(report)


def test_a_suites_causes_are_what_decided_its_tests(report: TriageReport) -> None:
    (suite,) = report.suites
    causes = "; ".join(suite.causes)
    assert "2× token helper signature drift" in causes
    assert "3× uncategorised" not in causes  # the pool error decided one test only


def test_the_json_says_which_tests_count_elsewhere(report: TriageReport) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    (pool,) = [c for c in data["clusters"] if c["message"] == POOL]
    assert pool["size"] == 4 and pool["counted"] == 1
    assert sorted(pool["counted_elsewhere"]) == sorted(FAILED_THEN)
    assert sum(c["counted"] for c in data["clusters"]) == 4


def test_github_counts_tests_left_unannotated_once(report: TriageReport) -> None:
    lines = report.to_github(max_tests=1).splitlines()
    errors = [line for line in lines[1:] if line.startswith("::error")]
    assert len(errors) == 3 < MAX_ANNOTATIONS  # one per cluster
    # each annotation is about one test, named first in its message
    failing = {*FAILED_THEN, "case_pool::test_passes_then_pool_breaks"}
    annotated = {t for line in errors for t in failing if f"::{t}: " in line}
    assert len(annotated) == 3
    notice = [line for line in lines if "more failing tests not annotated" in line]
    assert notice and f"::{len(failing - annotated)} more failing tests" in notice[0]


def test_the_causes_chart_draws_each_failing_test_once(report: TriageReport) -> None:
    fig = causes_figure(report)
    assert sum(sum(trace.x) for trace in fig.data) == 4


def test_the_headline_ranks_the_cause_that_decided_most_tests_first(
    report: TriageReport,
) -> None:
    clusters = [f.phrase for f in report.findings if f.kind == "cluster"]
    assert clusters[0].startswith("2 failures are one cause (token helper signature drift)")
    assert clusters[1] == (
        "4 failures are one cause (uncategorised), 3 of them after the test had failed for another"
    )
