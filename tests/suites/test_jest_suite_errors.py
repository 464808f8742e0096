"""jest-junit with ``reportTestSuiteErrors`` off (its default), from real jest runs
(``tests/fixtures/suites/jest_suite_errors_off/``, see the README there): a test file that fails to
load leaves nothing in the report, so triage cannot count it; a report with no suite at all is the
one case the file shows, and triage says what it may mean and how to make jest-junit say which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import Outcome, parse_junit
from netra_diag.suites.junit_scan import scan_junit
from netra_diag.suites.model import SuiteRun

OFF = FIXTURES / "jest_suite_errors_off"
NO_SUITE = "the jest-junit report holds no suite"


def _assert_tests_line(run: SuiteRun, tests: dict[str, int]) -> None:
    c = run.counts
    assert c.passed == tests.get("passed", 0)
    assert c.failed == tests.get("failed", 0)
    # (a todo counts as a skip here, as its own line in jest's summary)
    assert c.skipped == tests.get("skipped", 0) + tests.get("todo", 0)
    assert c.total == tests["total"]
    assert c.errors == 0


def _triage(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["triage", str(path), *extra])
    return code, capsys.readouterr().out


def test_a_file_that_did_not_load_is_not_in_the_report(
    capsys: pytest.CaptureFixture[str],
) -> None:
    suites, tests = jest_says(OFF / "summary.txt")
    assert suites == {"failed": 2, "total": 2}  # one for its tests, one that did not load
    run = parse_junit(OFF / "jest-junit.xml")
    _assert_tests_line(run, tests)
    # what jest-junit writes at the root is summed over the suites it wrote: no trace of the other
    assert run.declared == {"tests": 6, "failures": 3, "errors": 0}
    assert {row.suite for row in run.rows} == {"websocket auth"}
    assert not run.warnings
    code, out = _triage(OFF / "jest-junit.xml", capsys)
    assert code == ExitCode.FAILURE  # the failing tests say so, as jest's exit code 1 does
    assert out.startswith("TRIAGE: 2 of 7 websocket auth tests pass")


def test_beside_passing_files_a_load_failure_leaves_the_report_of_a_run_without_it() -> None:
    # Why triage cannot count it: jest said "1 failed" and exited 1 for one run, "1 passed" and
    # 0 for the other, and the two reports differ in their times alone.
    broken_suites, broken_tests = jest_says(OFF / "passing_broken.summary.txt")
    clean_suites, clean_tests = jest_says(OFF / "passing.summary.txt")
    assert broken_suites == {"failed": 1, "passed": 1, "total": 2}
    assert clean_suites == {"passed": 1, "total": 1}
    assert broken_tests == clean_tests
    broken = parse_junit(OFF / "passing_broken.junit.xml")
    clean = parse_junit(OFF / "passing.junit.xml")
    _assert_tests_line(broken, broken_tests)

    def seen(run: SuiteRun) -> object:
        rows = [(r.test_id, r.suite, r.outcome) for r in run.rows]
        return rows, run.declared, run.warnings, run.fmt

    assert seen(broken) == seen(clean)


def test_a_report_with_no_suite_says_what_it_may_mean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    suites, tests = jest_says(OFF / "all_broken.summary.txt")
    assert suites == {"failed": 1, "total": 1} and tests == {"total": 0}
    path = OFF / "all_broken.junit.xml"
    run = parse_junit(path)
    _assert_tests_line(run, tests)
    (warning,) = run.warnings
    assert warning.startswith(f"{path}: {NO_SUITE}")
    for said in ("every test file failed to load", "reportTestSuiteErrors", "turn it on"):
        assert said in warning
    # the bulk reader (large files) finishes the run the same way
    bulk = scan_junit(path.read_text(encoding="utf-8"), str(path))
    assert bulk is not None and bulk.warnings == run.warnings

    code, out = _triage(path, capsys)
    assert out.startswith("TRIAGE: no tests ran\n")  # not a pass
    assert f"Warnings\n  {path}: {NO_SUITE}" in out
    # no test ran: triage's rule for an empty run (jest exits 0 too with --passWithNoTests, when
    # it found no test file, and the file does not tell that run from this one)
    assert code == ExitCode.OK
    assert _triage(path, capsys, "--strict")[0] == 3
    code, out = _triage(path, capsys, "--format", "markdown")
    assert NO_SUITE in out and "no tests ran" in out.splitlines()[0]
    code, out = _triage(path, capsys, "--json")
    data = json.loads(out)
    assert data["headline"] == "no tests ran"
    assert data["run"]["tests"] == 0 and data["run"]["warnings"] == [warning]


def test_with_the_option_on_the_load_failure_still_reads_as_an_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = parse_junit(FIXTURES / "jest" / "jest-junit.xml")
    assert not run.warnings
    assert run.counts.errors == 1
    broken = run.get("Test suite failed to run::__tests__/broken.test.js")
    assert broken is not None and broken.outcome is Outcome.ERROR
    code, out = _triage(FIXTURES / "jest" / "jest-junit.xml", capsys)
    assert code == ExitCode.FAILURE and NO_SUITE not in out


def test_a_jest_run_where_every_file_loaded_is_unaffected(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, tests = jest_says(OFF / "passing.summary.txt")
    run = parse_junit(OFF / "passing.junit.xml")
    _assert_tests_line(run, tests)
    assert not run.warnings
    code, out = _triage(OFF / "passing.junit.xml", capsys)
    assert code == ExitCode.OK
    assert out.startswith("TRIAGE: all 2 tests pass")
    assert "Warnings" not in out


@pytest.mark.parametrize("root", ["pytest tests", "my suite"])
def test_an_empty_report_of_another_runner_gets_no_jest_warning(tmp_path: Path, root: str) -> None:
    path = tmp_path / "empty.xml"
    path.write_text(f'<testsuites name="{root}" tests="0" failures="0" errors="0"></testsuites>')
    assert not parse_junit(path).warnings
