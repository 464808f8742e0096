"""Counts from real runners' reports equal each runner's own summary line."""

from __future__ import annotations

import re

import pytest
from suite_runs import FIXTURES, NodeRun, PytestRun, node_summary

from netra_diag.suites import Category, Outcome, parse_junit, parse_pytest_json, triage

pytestmark = pytest.mark.slow


def _counts(run: object) -> dict[str, int]:
    c = run.counts  # type: ignore[attr-defined]
    return {
        "failed": c.failed,
        "passed": c.passed,
        "skipped": c.skipped,
        "xfailed": c.xfailed,
        "xpassed": c.xpassed,
        "errors": c.errors,
    }


def test_pytest_xunit1_counts_equal_pytest_summary(pyrun: PytestRun) -> None:
    run = parse_junit(pyrun.xunit1)
    expected = dict(pyrun.summary)
    # JUnit cannot tell a (non-strict) xpass from a pass: pytest writes both as a plain testcase.
    expected["passed"] += expected.pop("xpassed")
    got = _counts(run)
    assert got.pop("xpassed") == 0
    assert got == expected
    assert run.fmt == "junit-pytest"


def test_pytest_xunit2_counts_equal_pytest_summary(pyrun: PytestRun) -> None:
    run = parse_junit(pyrun.xunit2)
    expected = dict(pyrun.summary_xunit2)
    expected["passed"] += expected.pop("xpassed")
    got = _counts(run)
    got.pop("xpassed")
    assert got == expected


def test_pytest_json_counts_equal_pytest_summary(pyrun: PytestRun) -> None:
    if pyrun.json is None:
        pytest.skip("pytest-json-report is not installed")
    run = parse_pytest_json(pyrun.json)
    assert _counts(run) == pyrun.summary  # JSON tells xfailed and xpassed apart


def test_xunit1_xunit2_and_json_agree_on_test_ids(pyrun: PytestRun) -> None:
    ids1 = {r.test_id for r in parse_junit(pyrun.xunit1).rows}
    ids2 = {r.test_id for r in parse_junit(pyrun.xunit2).rows}
    assert ids1 == ids2
    if pyrun.json is not None:
        assert {r.test_id for r in parse_pytest_json(pyrun.json).rows} == ids1


def test_collection_error_counts_as_error_with_collection_phase(pyrun: PytestRun) -> None:
    run = parse_junit(pyrun.xunit1)
    case = run.get("case_collect_error")
    assert case is not None and case.outcome is Outcome.ERROR
    assert case.primary is not None and case.primary.phase == "collection"


def test_teardown_errors_are_counted_in_both_buckets(pyrun: PytestRun) -> None:
    for run in (parse_junit(pyrun.xunit1), parse_junit(pyrun.xunit2)):
        passed_then = run.get("case_outcomes::test_passes_then_teardown_fails")
        failed_then = run.get("case_outcomes::test_fails_then_teardown_fails")
        assert passed_then is not None and failed_then is not None
        assert passed_then.counted_as == (Outcome.PASSED, Outcome.ERROR)
        assert failed_then.counted_as == (Outcome.FAILED, Outcome.ERROR)
        assert failed_then.outcome is Outcome.FAILED


# Each §9 category, as the fixture suites produce it (JUnit xunit1 and pytest-json).
EXPECTED_CATEGORIES = {
    "case_token_drift::test_token_refresh_flow": Category.TOKEN_HELPER_DRIFT,
    "case_secret_claims::test_token_verifies_with_service_secret": Category.SECRET_CLAIM_MISMATCH,
    "case_secret_claims::test_wrong_issuer_rejected_by_strict_validation": (
        Category.SECRET_CLAIM_MISMATCH
    ),
    "case_secret_claims::test_upgrade_refused_with_403": Category.SECRET_CLAIM_MISMATCH,
    "case_subprotocol::test_raw_token_subprotocol_rejected": Category.SUBPROTOCOL_FORMAT,
    "case_subprotocol::test_client_sees_no_subprotocol": Category.SUBPROTOCOL_FORMAT,
    "case_setup_method.TestGoldenPathAuth::test_uses_setup_state": Category.SETUP_METHOD_AWAIT,
    "case_setup_method::test_helper_not_awaited": Category.SETUP_METHOD_AWAIT,
    "case_websockets_api::test_extra_headers_keyword": Category.WEBSOCKETS_API,
    "case_websockets_api::test_closed_attribute": Category.WEBSOCKETS_API,
    "case_collect_error": Category.IMPORT_CONFIG,
    "case_internal_1011::test_first_message_roundtrip": Category.INTERNAL_1011,
    "case_infra::test_service_reachable": Category.INFRASTRUCTURE,
    "case_infra::test_runs_with_service": Category.INFRASTRUCTURE,
    "case_infra::test_agent_completes_in_time": Category.INFRASTRUCTURE,
}


def _category_by_test(path: object) -> dict[str, Category]:
    report = triage(path)  # type: ignore[arg-type]
    return {t: c.category for c in report.clusters for t in c.tests}


@pytest.mark.parametrize("source", ["xunit1", "json"])
def test_every_section9_failure_category_is_recognised(pyrun: PytestRun, source: str) -> None:
    path = pyrun.xunit1 if source == "xunit1" else pyrun.json
    if path is None:
        pytest.skip("pytest-json-report is not installed")
    got = _category_by_test(path)
    assert {t: got.get(t) for t in EXPECTED_CATEGORIES} == EXPECTED_CATEGORIES


def test_vacuous_passes_of_the_fixture_suites_are_reported(pyrun: PytestRun) -> None:
    report = triage(pyrun.xunit1)
    kinds = {(s.kind, s.subject) for s in report.vacuous}
    assert ("only_skips", "case_all_skipped") in kinds
    assert ("zero_ms_network_pass", "case_outcomes::test_websocket_connect_ok") in kinds
    assert not report.headline.startswith("all")
    # pytest's JUnit keeps no output of passing tests by default; pytest-json does.
    if pyrun.json is not None:
        signals = triage(pyrun.json).vacuous
        assert ("fallback", "case_outcomes::test_with_output") in {
            (s.kind, s.subject) for s in signals
        }


def test_recorded_property_gives_critical_event_evidence(pyrun: PytestRun) -> None:
    # test_with_output records two events by hand; the live session's plugin property has all.
    report = triage(pyrun.xunit1)
    assert report.critical_observed is not None
    assert {"agent_started", "agent_completed"} <= set(report.critical_observed)
    assert report.critical_missing == ()


def test_token_drift_failures_cluster_with_a_reason(pyrun: PytestRun) -> None:
    report = triage(pyrun.xunit1)
    drift = [c for c in report.clusters if c.category is Category.TOKEN_HELPER_DRIFT]
    assert len(drift) == 1 and drift[0].size == 2
    assert "expires_in_seconds" in drift[0].because
    assert drift[0].because.startswith("grouped because same TypeError")
    assert drift[0].representative == "case_token_drift::test_token_refresh_flow"
    assert "2 failures are one cause" in " ".join(f.phrase for f in report.findings)


def test_node_test_runner_counts_equal_its_summary(node_run: NodeRun) -> None:
    run = parse_junit(node_run.junit)
    s = node_run.summary
    c = run.counts
    assert (c.passed, c.failed, c.skipped, c.errors) == (
        s["pass"],
        s["fail"] + s.get("cancelled", 0),
        s["skipped"] + s["todo"],
        0,
    )
    assert run.fmt == "junit-node"
    assert run.declared["node_tests"] == s["tests"]
    suites = {row.suite for row in run.rows}
    assert "claims" in suites  # nested describe blocks are nested testsuites


def _summary(name: str) -> str:
    return (FIXTURES / name / "summary.txt").read_text(encoding="utf-8")


def test_jest_junit_counts_equal_jest_summary() -> None:
    run = parse_junit(FIXTURES / "jest" / "jest-junit.xml")
    text = _summary("jest")
    tests = dict(
        (w, int(n))
        for n, w in re.findall(r"(\d+) (failed|skipped|todo|passed)", text.splitlines()[1])
    )
    suites_failed = int(re.search(r"Test Suites: (\d+) failed", text).group(1))  # type: ignore[union-attr]
    c = run.counts
    # jest-junit writes a todo as a plain testcase left out of its suite's count (told apart
    # here, and counted as a skip) and a suite that did not load as an error testcase (jest
    # counts it under "Test Suites", not "Tests").
    assert c.passed == tests["passed"]
    assert c.failed == tests["failed"]
    assert c.skipped == tests["skipped"] + tests["todo"]
    assert not run.warnings
    assert c.errors == suites_failed - 1  # one suite failed because of its tests, one to load
    broken = run.get("Test suite failed to run::__tests__/broken.test.js")
    assert broken is not None and broken.outcome is Outcome.ERROR


def test_surefire_counts_equal_maven_summary_with_reruns_and_flakes() -> None:
    run = parse_junit(FIXTURES / "surefire" / "TEST-com.netra.fixture.AgentEventsTest.xml")
    m = re.search(
        r"Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+), Flakes: (\d+)",
        _summary("surefire"),
    )
    assert m is not None
    total, failures, errors, skipped, flakes = map(int, m.groups())
    c = run.counts
    assert (c.total, c.failed, c.errors, c.skipped, c.flaky) == (
        total,
        failures,
        errors,
        skipped,
        flakes,
    )
    flaky = run.get("com.netra.fixture.AgentEventsTest::flakyReconnect")
    assert flaky is not None and flaky.passed_on_retry
    rerun = run.get("com.netra.fixture.AgentEventsTest::agentStartedFirst")
    assert rerun is not None and len(rerun.reruns) == 2
    assert {p.kind for p in rerun.reruns} == {"rerunFailure"}


def test_gotestsum_counts_equal_its_summary_and_warns_of_the_build_error() -> None:
    run = parse_junit(FIXTURES / "gotestsum" / "gotestsum.xml")
    m = re.search(
        r"DONE (\d+) tests, (\d+) skipped, (\d+) failures, (\d+) error", _summary("gotestsum")
    )
    assert m is not None
    tests, skipped, failures, errors = map(int, m.groups())
    c = run.counts
    assert (c.total, c.skipped, c.failed) == (tests, skipped, failures)
    # gotestsum writes no testcase for a package that did not build: said, not hidden.
    assert c.errors == 0 and errors == 1
    assert any("declares 1 errors" in w for w in run.warnings)


def test_committed_node_fixture_matches_its_summary() -> None:
    # The fallback used when node is not installed must stay consistent with its summary.
    committed = FIXTURES / "node"
    test_node_test_runner_counts_equal_its_summary(
        NodeRun(
            committed / "agent_events.junit.xml", node_summary(committed / "summary.txt"), False
        )
    )
