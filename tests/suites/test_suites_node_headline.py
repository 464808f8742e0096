"""Headline honesty on node's test runner output: two infrastructure failures of six tests are
no outage, and a suite outside any describe block is named "(top level)" next to named ones.

NODE_JUNIT is the junit reporter's output (node 20; node's own stack frames left out) of

    node --test --test-reporter=junit --test-reporter-destination=node.xml ws.test.mjs

for a describe('golden path') of five tests (a pass, an HTTP 403, an ECONNREFUSED, a skip, a
failing todo) and one top-level test that times out waiting for agent_completed. node said:
tests 6, pass 1, fail 3, skipped 1, todo 1.
"""

# ruff: noqa: E501  (the runner's own lines, as it wrote them)

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import triage
from netra_diag.suites.flaky import is_outage

NODE_JUNIT = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites>
	<testsuite name="golden path" time="0.001869" disabled="0" errors="0" tests="5" failures="3" skipped="2" hostname="vm">
		<testcase name="connects" time="0.000527" classname="test"/>
		<testcase name="auth" time="0.000191" classname="test" failure="server rejected WebSocket connection: HTTP 403">
			<failure type="testCodeFailure" message="server rejected WebSocket connection: HTTP 403">
Error [ERR_TEST_FAILURE]: server rejected WebSocket connection: HTTP 403
  code: 'ERR_TEST_FAILURE',
  failureType: 'testCodeFailure',
  cause: Error: server rejected WebSocket connection: HTTP 403
      at TestContext.&lt;anonymous> (file:///tmp/qa_triage/node/ws.test.mjs:5:30)
}
			</failure>
		</testcase>
		<testcase name="refused" time="0.000080" classname="test" failure="connect ECONNREFUSED 127.0.0.1:8000">
			<failure type="testCodeFailure" message="connect ECONNREFUSED 127.0.0.1:8000">
[Error [ERR_TEST_FAILURE]: connect ECONNREFUSED 127.0.0.1:8000] {
  code: 'ERR_TEST_FAILURE',
  failureType: 'testCodeFailure',
  cause: Error: connect ECONNREFUSED 127.0.0.1:8000
      at TestContext.&lt;anonymous> (file:///tmp/qa_triage/node/ws.test.mjs:6:37)
    code: 'ECONNREFUSED'
  }
}
			</failure>
		</testcase>
		<testcase name="skipped" time="0.000072" classname="test">
			<skipped type="skipped" message="staging unreachable"/>
		</testcase>
		<testcase name="todo fail" time="0.000075" classname="test" failure="todo">
			<skipped type="todo" message="true"/>
			<failure type="testCodeFailure" message="todo">
[Error [ERR_TEST_FAILURE]: todo] {
  code: 'ERR_TEST_FAILURE',
  failureType: 'testCodeFailure',
  cause: Error: todo
      at TestContext.&lt;anonymous> (file:///tmp/qa_triage/node/ws.test.mjs:8:51)
}
			</failure>
		</testcase>
	</testsuite>
	<testcase name="top level timeout" time="0.006646" classname="test" failure="timed out waiting for agent_completed">
		<failure type="testCodeFailure" message="timed out waiting for agent_completed">
[Error [ERR_TEST_FAILURE]: timed out waiting for agent_completed] {
  code: 'ERR_TEST_FAILURE',
  failureType: 'testCodeFailure',
  cause: Error: timed out waiting for agent_completed
      at Timeout._onTimeout (file:///tmp/qa_triage/node/ws.test.mjs:10:88)
}
		</failure>
	</testcase>
	<!-- tests 6 -->
	<!-- suites 1 -->
	<!-- pass 1 -->
	<!-- fail 3 -->
	<!-- cancelled 0 -->
	<!-- skipped 1 -->
	<!-- todo 1 -->
	<!-- duration_ms 83.216231 -->
</testsuites>
"""


def test_two_infrastructure_failures_of_six_tests_are_no_outage(tmp_path: Path) -> None:
    path = tmp_path / "node.xml"
    path.write_text(NODE_JUNIT)
    report = triage(path)
    assert report.current.counts.as_dict() == {
        "passed": 1,
        "failed": 3,
        "errors": 0,
        "skipped": 2,
        "xfailed": 0,
        "xpassed": 0,
        "flaky": 0,
    }
    assert report.outage == ""
    assert is_outage(report.current) == ""
    assert "outage" not in report.headline


def test_the_top_level_suite_is_named_next_to_named_suites(tmp_path: Path) -> None:
    path = tmp_path / "node.xml"
    path.write_text(NODE_JUNIT)
    headline = triage(path).headline
    assert headline.startswith("0 of 1 (top level) tests pass; ")  # not "0 of 1 tests pass"
    assert "1 of 5 golden path tests pass" in triage(path).to_text()
