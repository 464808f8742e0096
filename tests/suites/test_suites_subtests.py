"""pytest 9's subtests: a failed subtest counts as pytest counts it.

JUNIT is pytest's (9.2) xunit1 for

    def test_events(subtests):
        for ev in ["agent_started", "agent_thinking", "tool_executing", "tool_completed"]:
            with subtests.test(ev=ev):
                assert ev.startswith("agent"), f"missing {ev}"

    def test_only_sub_pass(subtests):
        with subtests.test(i=1):
            pass

(messages trimmed); pytest said ``3 failed, 1 passed, 3 subtests passed``.
"""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import parse_junit, triage

JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="3" skipped="0" tests="7" time="0.03" hostname="vm"><testcase \
classname="test_sub2" name="test_events" time="0.017"><failure message="AssertionError: missing \
tool_executing">E   AssertionError: missing tool_executing

test_sub2.py:4: AssertionError</failure><failure message="AssertionError: missing tool_completed">\
E   AssertionError: missing tool_completed

test_sub2.py:4: AssertionError</failure><failure message="contains 2 failed subtests">contains 2 \
failed subtests</failure></testcase><testcase classname="test_sub2" name="test_only_sub_pass" \
time="0.001" /></testsuite></testsuites>
"""


def test_each_failed_subtest_counts_as_pytest_counts_it(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    run = parse_junit(path)
    counts = run.counts
    assert (counts.failed, counts.passed, counts.errors) == (3, 1, 0)
    assert len(run.rows) == 2
    (cluster,) = triage(path).clusters
    assert cluster.signature.message == "missing tool_executing"  # a subtest's, not the wrapper's


def test_two_failures_without_subtests_still_count_once(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT.replace("contains 2 failed subtests", "AssertionError: other"))
    assert parse_junit(path).counts.failed == 1


def test_a_json_report_says_it_lost_the_subtests(tmp_path: Path) -> None:
    import json

    # pytest --json-report of the first test above: the call's longrepr is all that is left
    data = {
        "collectors": [],
        "tests": [
            {
                "nodeid": "test_sub2.py::test_events",
                "outcome": "failed",
                "call": {"outcome": "failed", "longrepr": "contains 2 failed subtests"},
            }
        ],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    warnings = triage(path).warnings
    assert any("failed in subtests, which pytest-json-report does not keep" in w for w in warnings)
