"""pytest 9's subtests in unittest.TestCase suites (``self.subTest``) and with the ``subtests``
fixture, as pytest 9.2 and pytest-json-report 1.5 wrote them (tests/fixtures/suites/pytest/
subtests.*, made as tests/fixtures/suites/README.md says). pytest said "5 failed, 2 passed, 4
subtests passed": each failed subtest is "failed"; a unittest test whose subtests failed is
still "passed" itself, a test with the fixture "failed" ("contains 2 failed subtests")."""

from __future__ import annotations

from suite_runs import FIXTURES, parse_pytest_summary

from netra_diag.suites import Outcome, parse_results, triage

PYTEST = FIXTURES / "pytest"
UNITTEST = "case_subtests.TestCriticalEvents::test_each_event_arrives"


def _said() -> dict[str, int]:
    return parse_pytest_summary((PYTEST / "subtests.summary.txt").read_text(encoding="utf-8"))


def test_junit_counts_unittest_subtests_as_pytest_does() -> None:
    run = parse_results(PYTEST / "subtests.junit.xml")
    counts = run.counts.as_dict()
    del counts["flaky"]
    assert counts == _said()
    case = run.get(UNITTEST)
    assert case is not None and case.outcome is Outcome.FAILED  # its subtests failed
    report = triage(PYTEST / "subtests.junit.xml")
    assert report.headline.startswith("1 of 3 case_subtests tests pass")


def test_json_with_subtests_is_read() -> None:
    # json-report calls a test whose subtests all passed "subtests passed", an outcome it
    # made of pytest's summary word
    report = triage(PYTEST / "subtests.json")
    run = report.current
    passing = run.get("case_subtests.TestCriticalEvents::test_all_subtests_pass")
    assert passing is not None and passing.outcome is Outcome.PASSED
    failing = run.get(UNITTEST)
    assert failing is not None and failing.failing and failing.primary is not None
    # the report keeps no subtest failures: it says so rather than showing a bare failure
    assert any(UNITTEST in w and "subtests" in w for w in run.warnings)
    (lost,) = [c for c in report.clusters if UNITTEST in c.tests]
    assert "subtests" in lost.because
