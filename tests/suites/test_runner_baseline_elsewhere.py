"""A baseline that pytest ran from another directory names
every test with one more (or one less) package in front: ``tests.e2e.case_ws::test_x`` there,
``e2e.case_ws::test_x`` here. Real pytest output in tests/fixtures/suites/pytest/elsewhere/ (made
as tests/fixtures/suites/README.md says)."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runs import FIXTURES

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

ELSEWHERE = FIXTURES / "pytest" / "elsewhere"
ROOT = ELSEWHERE / "baseline.junit.xml"  # run from the project's root
SUB = ELSEWHERE / "current.junit.xml"  # the same tests, run from tests/


def test_a_failure_the_baseline_had_is_not_new_because_pytest_ran_elsewhere() -> None:
    report = triage(SUB, baseline=ROOT)
    assert report.diff is not None
    assert report.diff.still_failing == ("e2e.case_ws::test_auth_refused",)
    assert report.diff.failing_added == () and report.diff.new_failures == ()
    assert report.diff.removed == () and report.diff.added == ()
    assert "not in the baseline" not in report.headline
    (suite,) = report.suites
    assert suite.baseline is not None  # the suite is known there, under its longer name
    (note,) = [n for n in report.notes if "tests." in n]
    assert "another directory" in note


@pytest.mark.parametrize(("current", "baseline"), [(SUB, ROOT), (ROOT, SUB)])
def test_the_exit_code_says_nothing_new_fails(current: Path, baseline: Path) -> None:
    assert main(["triage", str(current), "--baseline", str(baseline)]) == ExitCode.OK


def test_the_other_way_round_names_the_tests_as_this_run_does() -> None:
    report = triage(ROOT, baseline=SUB)
    assert report.diff is not None
    assert report.diff.still_failing == ("tests.e2e.case_ws::test_auth_refused",)


def test_another_suite_is_still_another_suite(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="1">'
        '<testcase classname="tests.unit.case_math" name="test_add" time="0.1"/>'
        "</testsuite></testsuites>"
    )
    report = triage(SUB, baseline=other)
    assert any("shares no test" in n for n in report.notes)


PREFIX = FIXTURES / "pytest" / "prefix"


@pytest.mark.parametrize(
    ("current", "baseline", "broken"),
    [
        ("shard1.junit.xml", "plain.junit.xml", "shard1::case_staging"),
        ("plain.junit.xml", "shard1.junit.xml", "case_staging"),
    ],
)
def test_a_junit_prefix_is_compared_without_it(current: str, baseline: str, broken: str) -> None:
    # pytest --junit-prefix=shard1 names a collection error's testcase classname="shard1"
    # (id shard1::case_staging), every other test's classname "shard1.<module>"
    report = triage(PREFIX / current, baseline=PREFIX / baseline)
    assert report.diff is not None
    assert broken in report.diff.still_failing and len(report.diff.still_failing) == 2
    assert not report.diff.changed
    assert main(["triage", str(PREFIX / current), "--baseline", str(PREFIX / baseline)]) == 0
