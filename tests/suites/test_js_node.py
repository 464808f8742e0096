"""node's built-in test runner as e2e suites use it (``tests/fixtures/suites/node_qa/``, see the
README there): subtests, nested describes, skip and todo (one failing), a throwing ``before``
hook, a test past its timeout, two files under ``--test-concurrency``; and a parent test that
fails in its own body after its subtests passed, beside a describe whose ``after`` hook throws.

node's JUnit writes a test with subtests, like a describe, as a ``<testsuite>``: its own result
is not a testcase. The counts here are the testcases', checked against node's spec summary."""

from __future__ import annotations

import pytest
from suite_runs import FIXTURES, node_summary

from netra_diag.cli import main
from netra_diag.suites import load_results
from netra_diag.suites.categories import Category
from netra_diag.suites.phases import Phase, phase_of

QA = FIXTURES / "node_qa"


def test_counts_agree_with_nodes_summary() -> None:
    said = node_summary(QA / "agent.summary.txt")
    assert said == {"tests": 14, "pass": 3, "fail": 3, "cancelled": 3, "skipped": 2, "todo": 3}
    c = load_results(QA / "agent.junit.xml").counts
    assert c.passed == said["pass"]
    assert c.skipped == said["skipped"] + said["todo"]  # a failing todo is a todo
    # node's fail 3 holds the parent "session lifecycle", failed by its subtest (a testsuite in
    # the XML); its cancelled 3, the two tests of the describe whose before hook threw and the
    # test past its timeout
    assert c.failed == said["fail"] - 1 + said["cancelled"]
    assert c.total == said["tests"] - 1


def test_a_timeout_is_infrastructure(capsys: pytest.CaptureFixture[str]) -> None:
    main(["triage", str(QA / "agent.junit.xml")])
    out = capsys.readouterr().out
    assert "1× timeout or infrastructure" in out
    assert "same testTimeoutFailure with message “test timed out after <n>ms”" in out


def test_failures_node_counts_but_wrote_no_testcase_for_are_said(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A parent test's own failure and a failing after hook are in no testcase: node counts
    # them ("fail 1") and exits 1; each is a failing test of its own here, so the counts are
    # node's and the run does not read as passing.
    said = node_summary(QA / "parent.summary.txt")
    assert said["fail"] == 1  # and node exited 1
    run = load_results(QA / "parent.junit.xml")
    assert (run.counts.failed, run.counts.passed) == (said["fail"], said["pass"])
    code = main(["triage", str(QA / "parent.junit.xml")])
    out = capsys.readouterr().out
    assert code == 1 and "all 3 tests pass" not in out
    assert "node's test runner counted a failing test that its JUnit reporter writes no" in out


def test_tests_cancelled_by_their_parent_did_not_reach_completion() -> None:
    run = load_results(QA / "agent.junit.xml")
    case = run.get("with a live server::sends a frame")
    assert case is not None and case.primary is not None
    assert case.primary.type == "cancelledByParent"
    # (its describe's before hook threw: the test body never ran)
    assert phase_of(case, Category.OTHER) is Phase.SETUP
