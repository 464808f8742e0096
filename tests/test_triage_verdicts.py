"""The ``new_failures`` check the triage notebooks record: never a pass for a failing suite
without a baseline, and a detail that counts what is new and what was failing already."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation
from netra_diag.suites.triage import triage

ONE_FAIL = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2" failures="1" errors="0" skipped="0" time="0.3">
<testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a" name="test_bad" time="0.2">
<failure message="assert 1 == 2">AssertionError: assert 1 == 2</failure></testcase>
</testsuite></testsuites>
"""


def one_fail(tmp_path: Path) -> Path:
    path = tmp_path / "onefail.xml"
    path.write_text(ONE_FAIL, encoding="utf-8")
    return path


def test_without_a_baseline_new_failures_are_not_verified(tmp_path: Path) -> None:
    result = triage([one_fail(tmp_path)])
    check = investigation.new_failures_check(result)
    assert check.status == "not verified"
    assert "1 failing test" in check.detail and "no baseline" in check.detail
    headline = investigation.triage_headline(result, check)
    assert headline.startswith(result.headline) and "not verified" in headline


def test_the_same_run_as_baseline_says_what_still_fails(tmp_path: Path) -> None:
    path = one_fail(tmp_path)
    check = investigation.new_failures_check(triage([path], baseline=[path]))
    assert check.status == "pass"
    assert check.detail == "no new failures; 1 still failing as in the baseline"


def test_the_bundled_example_counts_its_new_failures() -> None:
    current = investigation.bundled_suite("current")
    result = triage([current], baseline=[investigation.bundled_suite("baseline")])
    check = investigation.new_failures_check(result)
    assert check.status == "FAIL"
    assert "failing tests not in the baseline" in check.detail
    assert check.detail.startswith(
        f"{len(result.diff.new_failures) + len(result.diff.failing_added)} new failures"
    )


def test_a_run_with_no_agent_event_is_not_a_verified_contract_failure() -> None:
    from netra_diag.events.contracts import check_run

    contract = check_run(())
    record = type("R", (), {"outcome": "error", "events": ()})()
    checks = investigation.session_checks(
        record=record, session=None, contract=contract, error=None, timeout=5.0
    )
    verdict = {c.name: c for c in checks}["contracts"]
    assert verdict.status == "not verified" and verdict.detail.startswith("INCONCLUSIVE")
