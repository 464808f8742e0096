"""The investigation report judges its suite as netra-diag triage does: failing tests and no
baseline fail the report (exit 1), where its new_failures check alone left them "not verified"
and the report exited 0 on a failing suite."""

from __future__ import annotations

from pathlib import Path

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report


def test_investigation_report_fails_a_failing_suite_without_a_baseline(tmp_path: Path) -> None:
    results = tmp_path / "onefail.xml"
    results.write_text(
        '<testsuites><testsuite name="pytest" tests="2" failures="1">'
        '<testcase classname="tests.test_a" name="test_ok" time="0.1"/>'
        '<testcase classname="tests.test_a" name="test_bad" time="0.2">'
        '<failure message="assert 1 == 2">AssertionError</failure></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    params = {"users": "2", "runs": "1", "time_scale": "0.1", "faults": "", "results": str(results)}
    result = run_report(
        "investigation_report", params, out_dir=tmp_path / "out", html=False, cell_timeout=120
    )
    assert result.error is None, result.error
    failing = next(c for c in result.checks if c.name == "failing_tests")
    assert not failing.passed and "no baseline" in failing.detail
    assert result.exit_code is ExitCode.FAILURE
