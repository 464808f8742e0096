"""pytest counts reports, not tests: a set-up error and then a teardown error is "2 errors", and
an xfail test whose teardown raised is "2 xfailed". The suite is run for real and both readers
are checked against pytest's own summary line."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runs import SETUP_AND_TEARDOWN, has_json_report, parse_pytest_summary, run_case_module

from netra_diag.suites import parse_results

SUITE = (
    SETUP_AND_TEARDOWN
    + """


@pytest.mark.xfail(reason="known")
def test_known(session_pool):
    assert False


@pytest.mark.skip(reason="staging unreachable")
def test_skipped(session_pool):
    pass


def test_ok():
    pass
"""
)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], dict[str, int]]:
    src = tmp_path_factory.mktemp("two-stages")
    extra = ["--json-report", f"--json-report-file={src / 'report.json'}"]
    json_args = extra if has_json_report() else []
    stdout = run_case_module(src, "pool", SUITE, f"--junitxml={src / 'junit.xml'}", *json_args)
    files = [src / "junit.xml"] + ([src / "report.json"] if json_args else [])
    return files, parse_pytest_summary(stdout)


def test_each_stages_report_counts_as_pytest_counts_it(
    reports: tuple[list[Path], dict[str, int]],
) -> None:
    files, summary = reports
    # pytest: "1 passed, 1 skipped, 2 xfailed, 2 errors"
    said = {k: v for k, v in summary.items() if v}
    assert said == {"passed": 1, "skipped": 1, "xfailed": 2, "errors": 2}
    for path in files:
        counts = parse_results(path).counts.as_dict()
        assert {k: v for k, v in counts.items() if v} == said, path.name


def test_the_test_that_never_ran_is_no_pass(reports: tuple[list[Path], dict[str, int]]) -> None:
    files, _ = reports
    for path in files:
        case = parse_results(path).get("case_pool::test_agent")
        assert case is not None and str(case.outcome) == "error", path.name
        assert [p.phase for p in case.problems] == ["setup", "teardown"], path.name
