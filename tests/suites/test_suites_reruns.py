"""pytest-rerunfailures: counts equal pytest's own summary, in JUnit and in pytest-json-report.

The reports below are real output, trimmed to what the reader looks at, of

    pytest -q --reruns 2 -o junit_family=xunit2 --junitxml=junit.xml \
        --json-report --json-report-file=report.json

(pytest 9.2, pytest-rerunfailures 16.7, pytest-json-report 1.5) on a module where
``test_flaky_ws`` fails once then passes, ``test_always_ws`` times out three times,
``test_ok`` passes and ``test_setup_flaky``'s fixture fails once. pytest said:
``1 failed, 3 passed, 4 rerun``.
"""

from __future__ import annotations

import json
from pathlib import Path

from netra_diag.cli import main
from netra_diag.suites import Outcome, parse_junit, parse_pytest_json, triage

SUMMARY = {"failed": 1, "passed": 3, "errors": 0, "skipped": 0, "flaky": 2}

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="1" skipped="0" tests="4" time="0.027" \
timestamp="2026-12-07T11:01:03.717969+00:00" hostname="vm"><testcase classname="test_r" \
name="test_flaky_ws" time="0.000" /><testcase classname="test_r" name="test_flaky_ws" \
time="0.000" /><testcase classname="test_r" name="test_always_ws" time="0.000" /><testcase \
classname="test_r" name="test_always_ws" time="0.000" /><testcase classname="test_r" \
name="test_always_ws" time="0.000"><failure message="TimeoutError: timed out waiting for \
agent_completed">def test_always_ws():
&gt;       raise TimeoutError("timed out waiting for agent_completed")
E       TimeoutError: timed out waiting for agent_completed

test_r.py:12: TimeoutError</failure></testcase><testcase classname="test_r" name="test_ok" \
time="0.000" /><testcase classname="test_r" name="test_setup_flaky" time="0.000" /><testcase \
classname="test_r" name="test_setup_flaky" time="0.000" /></testsuite></testsuites>
"""

_PASSED = {"duration": 0.0001, "outcome": "passed"}
_TIMEOUT = {
    "duration": 0.0001,
    "outcome": "failed",
    "crash": {
        "path": "test_r.py",
        "lineno": 12,
        "message": "TimeoutError: timed out waiting for agent_completed",
    },
    "longrepr": 'def test_always_ws():\n>       raise TimeoutError("timed out waiting for '
    'agent_completed")\nE       TimeoutError: timed out waiting for agent_completed\n\n'
    "test_r.py:12: TimeoutError",
}
JSON_REPORT = {
    "created": 1796641263.55,
    "exitcode": 1,
    "summary": {"rerun": 2, "failed": 1, "passed": 1, "total": 4, "collected": 4},
    "collectors": [],
    "tests": [
        {
            "nodeid": "test_r.py::test_flaky_ws",
            "lineno": 7,
            "outcome": "rerun",
            "setup": _PASSED,
            "call": _PASSED,
            "teardown": _PASSED,
        },
        {
            "nodeid": "test_r.py::test_always_ws",
            "lineno": 10,
            "outcome": "failed",
            "setup": _PASSED,
            "call": _TIMEOUT,
            "teardown": _PASSED,
        },
        {
            "nodeid": "test_r.py::test_ok",
            "lineno": 12,
            "outcome": "passed",
            "setup": _PASSED,
            "call": _PASSED,
            "teardown": _PASSED,
        },
        {
            "nodeid": "test_r.py::test_setup_flaky",
            "lineno": 17,
            "outcome": "rerun",
            "setup": _PASSED,
            "call": _PASSED,
            "teardown": _PASSED,
        },
    ],
}


def _counts(run: object) -> dict[str, int]:
    d = run.counts.as_dict()  # type: ignore[attr-defined]
    return {k: d[k] for k in SUMMARY}


def test_a_json_report_with_reruns_is_read_and_counts_as_pytest_said(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(JSON_REPORT))
    run = parse_pytest_json(path)
    assert _counts(run) == SUMMARY
    assert run.details["test_r::test_flaky_ws"].passed_on_retry
    assert not run.details["test_r::test_always_ws"].passed_on_retry


def test_junit_attempts_of_one_test_are_one_test(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    run = parse_junit(path)
    assert len(run.rows) == 4 == run.declared["tests"]
    assert _counts(run) == SUMMARY
    outcomes = {row.test_id: row.outcome for row in run.rows}
    assert outcomes["test_r::test_always_ws"] is Outcome.FAILED
    assert outcomes["test_r::test_flaky_ws"] is Outcome.PASSED
    assert run.details["test_r::test_always_ws"].reruns  # two earlier attempts
    assert len(run.details["test_r::test_always_ws"].reruns) == 2


def test_xunit1_attempts_are_told_by_the_file_attribute(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    text = JUNIT.replace(' name="pytest tests"', "").replace(
        'classname="test_r"', 'classname="test_r" file="test_r.py"'
    )
    path.write_text(text)
    assert _counts(parse_junit(path)) == SUMMARY


def test_triage_of_reruns_names_the_retried_tests_and_exits_as_for_the_failure(
    tmp_path: Path, capsys: object
) -> None:
    (tmp_path / "junit.xml").write_text(JUNIT)
    (tmp_path / "report.json").write_text(json.dumps(JSON_REPORT))
    for name in ("junit.xml", "report.json"):
        report = triage(tmp_path / name)
        assert "2 tests passed only on retry" in report.headline
        code = main(["triage", str(tmp_path / name)])
        assert code == 9  # the one failure is a timeout
