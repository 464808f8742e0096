"""``netra-diag report suite_triage`` exits as ``netra-diag triage`` does on the same results.

A CI job that swapped ``netra-diag triage junit.xml`` (exit 1: tests fail, no baseline) for the
report went green on the same failing suite: the report's only check, ``new_failures``, is "not
verified" without a baseline, and "not verified" fails nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.triage import exit_code_for as triage_exit_code
from netra_diag.report import exit_code_for, run_report, triage_checks
from netra_diag.suites.triage import triage

FAIL = '<failure message="assert 1 == 2">AssertionError: assert 1 == 2</failure>'
REFUSED = "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 8000)"
OUTAGE = f'<failure message="{REFUSED}">{REFUSED}</failure>'


def _junit(path: Path, *cases: str) -> str:
    body = "".join(
        f'<testcase classname="tests.test_a" name="test_{n}" time="0.1">{c}</testcase>'
        for n, c in enumerate(cases)
    )
    path.write_text(
        f'<testsuites><testsuite name="pytest" tests="{len(cases)}">{body}</testsuite>'
        "</testsuites>",
        encoding="utf-8",
    )
    return str(path)


@pytest.mark.parametrize(
    ("current", "baseline", "expected"),
    [
        (("", FAIL), None, ExitCode.FAILURE),  # failing, no baseline: triage exits 1
        (("", OUTAGE, OUTAGE), None, ExitCode.INFRASTRUCTURE),  # every failure an outage
        (("", ""), None, ExitCode.OK),
        (("", FAIL), ("", ""), ExitCode.NEW_FAILURES),
        (("", FAIL), ("", FAIL), ExitCode.OK),  # failing as in the baseline
        (("", OUTAGE, OUTAGE), ("", "", ""), ExitCode.INFRASTRUCTURE),
    ],
)
def test_the_report_checks_exit_as_triage_does(
    tmp_path: Path,
    current: tuple[str, ...],
    baseline: tuple[str, ...] | None,
    expected: ExitCode,
) -> None:
    results = _junit(tmp_path / "current.xml", *current)
    base = [_junit(tmp_path / "baseline.xml", *baseline)] if baseline is not None else None
    result = triage([results], baseline=base)
    assert triage_exit_code(result) is expected
    checks = triage_checks(result)
    assert exit_code_for(checks) is expected
    assert "new_failures" in [c.name for c in checks]
    # failed checks first: the first row a reviewer reads is what failed
    assert [c.passed for c in checks] == sorted(c.passed for c in checks)


def test_a_failing_suite_without_a_baseline_fails_the_report(tmp_path: Path) -> None:
    results = _junit(tmp_path / "onefail.xml", "", FAIL)
    report = run_report("suite_triage", {"results": results}, out_dir=tmp_path / "out", html=False)
    assert report.error is None, report.error
    assert report.exit_code is ExitCode.FAILURE
    failing = report.checks[0]
    assert failing.name == "failing_tests"
    assert failing.status == "FAIL" and "1 failing test" in failing.detail
    # new_failures still says what it cannot judge, rather than failing or passing
    new = next(c for c in report.checks if c.name == "new_failures")
    assert new.status == "not verified"


def test_a_pass_that_proves_little_is_not_shown_as_passed(tmp_path: Path) -> None:
    results = tmp_path / "zero.xml"
    results.write_text(
        '<testsuites><testsuite name="pytest" tests="1">'
        '<testcase classname="tests.test_websocket_agent_events" '
        'name="test_agent_started_event_delivered" time="0.000"/>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    result = triage([str(results)])
    assert triage_exit_code(result) is ExitCode.OK
    checks = triage_checks(result)
    assert exit_code_for(checks) is ExitCode.OK  # as triage without --strict
    weak = next(c for c in checks if c.name == "weak_passes")
    assert weak.status == "not verified"
    assert "~0 ms against a network service" in weak.detail


def test_nothing_tested_is_said_once(tmp_path: Path) -> None:
    results = tmp_path / "none.xml"
    results.write_text(
        '<testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>', "utf-8"
    )
    checks = triage_checks(triage([str(results)]))
    assert [(c.name, c.status) for c in checks] == [("new_failures", "not verified")]
    assert "no tests ran" in checks[0].detail
