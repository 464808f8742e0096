"""A jest test file whose ``afterAll`` throws after its tests passed, from a real jest run
(``tests/fixtures/suites/jest_qa/``, see the README there): jest-junit writes it as one more
testcase, "Test execution failure: could be caused by test hooks like 'afterAll'.", with jest's
error as JSON for its failure and outside every count the file declares. It is one error, as jest
(its "Test Suites:" line, not its "Tests:" line) and the ``jest --json`` of the run count it, not
a failing test, not a todo, and not counted twice when the XML and the JSON are given together."""

from __future__ import annotations

import json

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.cli import main
from netra_diag.suites import Outcome, load_results, parse_junit
from netra_diag.suites.jest_todos import JEST_EXEC_FAILURE
from netra_diag.suites.model import ProblemKind

QA = FIXTURES / "jest_qa"


def _runtime_errors(json_name: str) -> int:
    return int(
        json.loads((QA / json_name).read_text(encoding="utf-8"))["numRuntimeErrorTestSuites"]
    )


@pytest.mark.parametrize("run_name", ["qa", "errors_on"])
def test_the_failure_after_the_tests_is_an_error_not_a_failing_test(run_name: str) -> None:
    suites, tests = jest_says(QA / f"{run_name}.summary.txt")
    run = parse_junit(QA / f"{run_name}.junit.xml")
    c = run.counts
    assert c.failed == tests["failed"]  # was one more: the afterAll read as a failing test
    assert c.passed == tests["passed"]
    assert c.skipped == tests["skipped"] + tests["todo"]
    # errors off: the file that did not load leaves no trace (jest_suite_errors_off/), the
    # afterAll one does; on: both, as jest's numRuntimeErrorTestSuites
    assert c.errors == (1 if run_name == "qa" else _runtime_errors("errors_on.json"))
    assert suites["failed"] == 8
    [late] = [case for case in run.details.values() if JEST_EXEC_FAILURE in case.name]
    assert late.outcome is Outcome.ERROR
    [error] = late.problems
    assert error.kind is ProblemKind.ERROR
    # not jest-junit's JSON text, '{"message":"","stack":"Error: session close timed out\n…'
    assert (error.type, error.message) == ("Error", "Error: session close timed out")
    assert error.text.startswith("Error: session close timed out\n")
    assert error.phase == ""  # after its tests ran: no collection error
    # its testcase is outside the suite's count, yet no todo (jest_todos)
    assert not [w for w in run.warnings if "todo" in w]


@pytest.mark.parametrize("run_name", ["qa", "errors_on"])
def test_with_its_json_the_run_is_counted_as_the_json_counts_it(run_name: str) -> None:
    alone = load_results(QA / f"{run_name}.json")
    both = load_results([QA / f"{run_name}.junit.xml", QA / f"{run_name}.json"])
    assert both.counts == alone.counts  # the afterAll error was counted twice: 13 failed
    _, tests = jest_says(QA / f"{run_name}.summary.txt")
    assert both.counts.failed == tests["failed"]
    assert both.counts.total == tests["total"] + _runtime_errors(f"{run_name}.json")
    [said] = [w for w in both.warnings if "one jest run in two formats" in w]
    assert "counted besides" not in said


def test_triage_of_both_prints_jests_counts(capsys: pytest.CaptureFixture[str]) -> None:
    main(["triage", str(QA / "qa.junit.xml"), str(QA / "qa.json")])
    out = capsys.readouterr().out
    assert ": 12 failed, 17 passed, 6 skipped, 2 errors" in out
    assert "37 tests from" in out
    assert "undefined" not in out  # no jest-junit suite name left over from the XML


def test_a_suite_named_undefined_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    # jest-junit names a suite after its file's first describe: five files here start with a
    # top-level test, and their tests read as one suite "undefined"
    run = parse_junit(QA / "qa.junit.xml")
    assert "undefined" in {row.suite for row in run.rows}
    [said] = [w for w in run.warnings if "suite 'undefined'" in w]
    assert 'suiteNameTemplate to "{filepath}"' in said
    # beside the run's jest --json, whose suites are the files, it is not said
    both = load_results([QA / "qa.junit.xml", QA / "qa.json"])
    assert not [w for w in both.warnings if "suite 'undefined'" in w]
