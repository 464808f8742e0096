"""A test with a failed subtest: pytest counts the subtest and the test ("2 failed" for one
test), and the triage says which is which ("2 failed (1 test, 1 subtest)") so that "0/1 pass"
and "2 failed" read right, with the counts still pytest's. The suite is run for real (JUnit,
and pytest-json-report when installed); pytest 9 has the ``subtests`` fixture built in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_runs import FIXTURES, has_json_report, parse_pytest_summary, run_case_module

from netra_diag.suites import Outcome, parse_results, triage
from netra_diag.suites.subtests import failed_subtests, subtests_note

SUITE = """
def test_events(subtests):
    for ev in ["agent_started", "tool_executing"]:
        with subtests.test(ev=ev):
            assert ev.startswith("agent"), f"missing {ev}"
"""
ONE = "0/1 pass (0 %); 2 failed (1 test, 1 subtest)"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, int]]:
    if pytest.version_tuple < (9,):
        pytest.skip("the subtests fixture is pytest 9's")
    src = tmp_path_factory.mktemp("one-subtest")
    extra = ["--json-report", "--json-report-omit=log", f"--json-report-file={src / 'r.json'}"]
    json_args = extra if has_json_report() else []
    stdout = run_case_module(src, "one", SUITE, f"--junitxml={src / 'junit.xml'}", *json_args)
    files = [src / "junit.xml"] + ([src / "r.json"] if json_args else [])
    return files, parse_pytest_summary(stdout)


def test_one_failed_subtest_reads_as_a_test_and_a_subtest(
    reports: tuple[list[Path], dict[str, int]],
) -> None:
    files, said = reports
    assert said["failed"] == 2 and said["passed"] == 0  # "2 failed, 1 subtests passed"
    for path in files:
        report = triage(path)
        counts = report.current.counts.as_dict()
        del counts["flaky"]
        assert counts == said, path.name  # pytest's own count, from either report
        text = report.to_text()
        assert ONE in text, path.name
        assert f"from {path} [" in text and "]: 2 failed (1 test, 1 subtest)\n" in text
        assert ONE in report.to_markdown()
        (suite,) = report.to_dict()["suites"]
        assert (suite["failed_subtests"], suite["tests_with_failed_subtests"]) == (1, 1)
        assert suite["counts"]["failed"] == 2


def test_unittest_and_fixture_subtests_together() -> None:
    # pytest 9.2: "5 failed, 2 passed, 4 subtests passed": 2 failed subtests of a unittest
    # test (counted passed itself), 2 of a test with the fixture (counted failed itself)
    report = triage(FIXTURES / "pytest" / "subtests.junit.xml")
    text = report.to_text()
    assert "1/3 pass (33 %); 5 failed (1 test, 4 subtests of 2 tests)" in text
    assert "]: 5 failed (1 test, 4 subtests of 2 tests), 2 passed\n" in text


def test_json_says_where_it_cannot_count_subtests() -> None:
    # json-report keeps nothing of a unittest test's failed subTests: how many pytest counted
    # is unknown, and the report says so rather than showing a count as pytest's
    run = parse_results(FIXTURES / "pytest" / "subtests.json")
    unittest = "case_subtests.TestCriticalEvents::test_each_event_arrives"
    assert any(unittest in w and "pytest counts each failed subtest" in w for w in run.warnings), (
        run.warnings
    )
    fixture = run.get("case_subtests::test_pytest_subtests")
    assert fixture is not None and fixture.counted_as == (Outcome.FAILED,) * 3


def test_a_json_test_with_two_failed_subtests_counts_three(tmp_path: Path) -> None:
    data = {
        "collectors": [],
        "tests": [
            {
                "nodeid": "case_x.py::test_events",
                "outcome": "failed",
                "call": {"outcome": "failed", "longrepr": "contains 2 failed subtests"},
                "teardown": {"outcome": "failed", "longrepr": "RuntimeError: pool"},
            }
        ],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    counts = parse_results(path).counts
    assert (counts.failed, counts.errors) == (3, 1)  # as pytest: "3 failed, 1 error"
    assert "0/1 pass (0 %); 3 failed (1 test, 2 subtests), 1 error" in triage(path).to_text()


@pytest.mark.parametrize(
    ("outcome", "counted", "subtests"),
    [
        (Outcome.FAILED, (Outcome.FAILED,), 0),
        (Outcome.FAILED, (Outcome.FAILED, Outcome.ERROR), 0),  # then a teardown error
        (Outcome.ERROR, (Outcome.PASSED, Outcome.ERROR), 0),  # passed, then teardown error
        (Outcome.FAILED, (Outcome.FAILED, Outcome.FAILED), 1),  # the subtests fixture
        (Outcome.FAILED, (Outcome.FAILED, Outcome.PASSED), 1),  # unittest's subTest
        (Outcome.FAILED, (Outcome.FAILED,) * 3 + (Outcome.ERROR,), 2),
    ],
)
def test_failed_subtests(outcome: Outcome, counted: tuple[Outcome, ...], subtests: int) -> None:
    assert failed_subtests(outcome, counted) == subtests


def test_subtests_note() -> None:
    assert subtests_note(3, 0, 0) == ""
    assert subtests_note(2, 2, 1) == "2 subtests of 1 test"  # unittest: the test passed
    assert subtests_note(5, 1, 1) == "4 tests, 1 subtest of 1 test"  # 3 more plain failures


def test_failures_spread_over_suites_say_which_are_subtests(tmp_path: Path) -> None:
    # Three modules failing alike lead with the run's own count ("failures spread over 3 of 3
    # suites alike"), whose "failed" pytest counted with the subtests.
    if pytest.version_tuple < (9,):
        pytest.skip("the subtests fixture is pytest 9's")
    module = SUITE + "\n\ndef test_connects():\n    pass\n"
    for name in ("auth", "stream"):
        (tmp_path / f"case_{name}.py").write_text(module, encoding="utf-8")
    stdout = run_case_module(tmp_path, "tools", module, f"--junitxml={tmp_path / 'j.xml'}")
    said = parse_pytest_summary(stdout)
    assert said["failed"] == 6 and said["passed"] == 3, stdout
    report = triage(tmp_path / "j.xml")
    spread = next(f for f in report.findings if "spread over 3 of 3 suites" in f.phrase)
    assert spread.detail.startswith("6 failed (3 tests, 3 subtests)"), spread.detail
