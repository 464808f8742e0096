"""jest's own JSON (``jest --json``), from real jest runs (``tests/fixtures/suites/jest_json/``,
see the README there): counts equal jest's summary lines, a test file that failed to load is one
collection error with jest's message, ids are jest-junit's."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.errors import ReportParseError
from netra_diag.suites import Outcome, parse_junit
from netra_diag.suites.categories import Category, categorise
from netra_diag.suites.jest_json import parse_jest_json, parse_jest_json_data
from netra_diag.suites.model import ProblemKind, SuiteRun
from netra_diag.suites.phases import Phase, phase_of
from netra_diag.suites.signatures import signature_of

JSON = FIXTURES / "jest_json"
LOAD = "Test suite failed to run"


def _load_failures(run: SuiteRun) -> list[str]:
    return [row.test_id for row in run.rows if row.classname == LOAD]


@pytest.mark.parametrize(
    "name",
    [
        "mixed",
        "statuses",
        "all_broken",
        "passing",
        "errors_on",
        "hook_after_failure",
        "custom_names",
    ],
)
def test_counts_equal_jests_summary(name: str) -> None:
    suites, tests = jest_says(JSON / f"{name}.summary.txt")
    run = parse_jest_json(JSON / f"{name}.json")
    c = run.counts
    assert c.passed == tests.get("passed", 0)
    assert c.failed == tests.get("failed", 0)
    # (a todo is a skip, as the jest-junit reader counts it)
    assert c.skipped == tests.get("skipped", 0) + tests.get("todo", 0)
    assert c.total - c.errors == tests["total"]
    # each file jest could not run is one error: jest's failed suites less those with a failing test
    failing_files = {row.suite for row in run.rows if row.outcome is Outcome.FAILED}
    assert c.errors == run.declared["numRuntimeErrorTestSuites"]
    assert len(failing_files | {row.suite for row in run.rows if row.classname == LOAD}) == (
        suites.get("failed", 0)
    )
    assert not run.warnings
    assert run.fmt == "jest-json"


def test_a_file_that_failed_to_load_is_one_collection_error() -> None:
    run = parse_jest_json(JSON / "mixed.json")
    (test_id,) = _load_failures(run)
    assert test_id == f"{LOAD}::__tests__/broken.test.js"
    case = run.get(test_id)
    assert case is not None and case.outcome is Outcome.ERROR
    assert case.suite == case.file == "__tests__/broken.test.js"
    (problem,) = case.problems
    assert problem.kind is ProblemKind.ERROR and problem.phase == "collection"
    assert (
        problem.message == "Cannot find module './missing-config' from '__tests__/broken.test.js'"
    )
    assert problem.text.startswith("  ● Test suite failed to run\n")
    assert categorise(case).category is Category.IMPORT_CONFIG
    assert phase_of(case, Category.IMPORT_CONFIG) is Phase.COLLECTION


def test_a_syntax_error_reads_as_a_collection_time_error_with_colours_stripped() -> None:
    run = parse_jest_json(JSON / "statuses.json")
    raw = (JSON / "statuses.json").read_text(encoding="utf-8")
    assert "\\u001b[" in raw  # written with --colors
    case = run.get(f"{LOAD}::__tests__/syntax_error.test.js")
    assert case is not None and case.primary is not None
    problem = case.primary
    assert problem.type == "SyntaxError" and problem.phase == "collection"
    assert problem.message.startswith("SyntaxError: /tmp/jestjson/__tests__/syntax_error.test.js")
    assert categorise(case).category is Category.IMPORT_CONFIG
    assert phase_of(case, categorise(case).category) is Phase.COLLECTION
    for each in run.cases:
        for p in each.problems:
            assert "\x1b" not in p.message + p.text
    signature = signature_of(case)
    assert signature is not None and signature.exc_type == "SyntaxError"


def test_a_file_with_no_test_is_a_load_failure_and_an_after_all_error_is_not() -> None:
    run = parse_jest_json(JSON / "statuses.json")
    empty = run.get(f"{LOAD}::__tests__/empty.test.js")
    assert empty is not None and empty.primary is not None
    assert empty.primary.message == "Your test suite must contain at least one test."
    assert empty.primary.phase == "collection"
    # afterAll threw after its test passed: one error beside the pass, not at collection
    hook = run.get(f"{LOAD}::__tests__/hook_error.test.js")
    assert hook is not None and hook.primary is not None
    assert hook.primary.message == "websocket did not close: 1 connection still open"
    assert hook.primary.phase == ""
    passed = run.get("session teardown session opens::session teardown session opens")
    assert passed is not None and passed.outcome is Outcome.PASSED


def test_each_status_and_duration() -> None:
    run = parse_jest_json(JSON / "mixed.json")
    by_name = {case.name: case for case in run.cases}
    todo = by_name["agent events tool events are paired"]
    assert todo.outcome is Outcome.SKIPPED and todo.problems[0].type == "todo"
    skipped = by_name["websocket auth staging only"]
    assert skipped.outcome is Outcome.SKIPPED and skipped.duration is None
    assert by_name["websocket auth mints a token"].duration == 0.002  # 2 ms in the file
    failed = by_name["websocket auth refresh flow"]
    assert failed.outcome is Outcome.FAILED and failed.primary is not None
    assert failed.primary.type == "TypeError"
    # the stack is kept: the helper's frame is the signature's
    assert "at createRealJwtToken (/tmp/jestjson/__tests__/agent_events.test.js:4:11)" in (
        failed.primary.text
    )
    expect = by_name["agent events agent_started first"].primary
    assert expect is not None and expect.type == "Error"
    statuses = parse_jest_json(JSON / "statuses.json")
    # test.only: the file's status is "focused", the test not selected "pending"
    focused = {c.name: c.outcome for c in statuses.cases if c.suite.endswith("focused.test.js")}
    assert focused == {
        "agent events agent_started first": Outcome.PASSED,
        "agent events agent_completed last": Outcome.SKIPPED,
    }
    # tests outside any describe: jest-junit's "{classname} {title}" with an empty classname
    assert " heartbeat answered:: heartbeat answered" in statuses.row_by_id


def test_a_failure_has_the_line_of_its_first_frame_in_the_test_file() -> None:
    run = parse_jest_json(JSON / "mixed.json")
    lines = {c.name: c.line for c in run.cases if c.failing}
    assert lines == {
        "websocket auth refresh flow": 4,  # thrown in the helper the file defines
        "websocket auth expired token rejected": 4,
        "agent events agent_started first": 24,
        "__tests__/broken.test.js": 2,  # the require, from the file's message
    }
    passed = run.get("websocket auth mints a token::websocket auth mints a token")
    assert passed is not None and passed.line is None  # (jest writes no location by default)


def test_ids_are_the_ones_jest_junit_writes_for_the_same_run() -> None:
    json_run = parse_jest_json(JSON / "errors_on.json")
    xml_run = parse_junit(JSON / "errors_on.junit.xml")
    assert [r.test_id for r in json_run.rows] == [r.test_id for r in xml_run.rows]
    # with reportTestSuiteErrors off, the XML holds all but the file that failed to load
    mixed = parse_jest_json(JSON / "mixed.json")
    off = parse_junit(JSON / "mixed.junit.xml")
    assert {r.test_id for r in mixed.rows} - {r.test_id for r in off.rows} == {
        f"{LOAD}::__tests__/broken.test.js"
    }


def test_jest_junits_error_entry_is_not_a_second_test() -> None:
    # jest-junit (reportTestSuiteErrors on) adds {"status": "error"} to the results jest writes
    data = json.loads((JSON / "errors_on.json").read_text(encoding="utf-8"))
    broken = data["testResults"][1]
    assert [a["status"] for a in broken["assertionResults"]] == ["error"]
    run = parse_jest_json_data(data)
    assert len(_load_failures(run)) == 1 and run.counts.errors == 1
    broken["message"] = ""  # the entry's message stands in for the file's
    again = parse_jest_json_data(data)
    (test_id,) = _load_failures(again)
    case = again.get(test_id)
    assert case is not None and case.primary is not None
    assert case.primary.message.startswith("Cannot find module './missing-config'")


def test_root_dir_from_the_results_folder_when_no_message_names_it(tmp_path: Path) -> None:
    data = json.loads((JSON / "passing.json").read_text(encoding="utf-8"))
    # no file failed: no message says where rootDir is, and the fixture was moved
    assert parse_jest_json_data(data).rows[0].suite == "/tmp/jestjson/__tests__/passing.test.js"
    for entry in data["testResults"]:
        entry["name"] = entry["name"].replace("/tmp/jestjson", str(tmp_path))
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert parse_jest_json(path).rows[0].suite == "__tests__/passing.test.js"


def test_an_after_all_error_beside_a_failing_test_is_counted_too() -> None:
    run = parse_jest_json(JSON / "hook_after_failure.json")
    assert (run.counts.failed, run.counts.errors) == (1, 1)
    hook = run.get(f"{LOAD}::__tests__/hook_after_failure.test.js")
    assert hook is not None and hook.primary is not None
    # the error's own part of the file's message, not the failing test's before it
    assert hook.primary.message == "websocket did not close: 1 connection still open"
    assert hook.primary.text.startswith("  ● Test suite failed to run")
    assert "toContain" not in hook.primary.text


def test_any_mapping_reads_as_the_dicts_json_gives() -> None:
    data = json.loads((JSON / "statuses.json").read_text(encoding="utf-8"))
    as_read = parse_jest_json_data(data)
    for entry in data["testResults"]:
        entry["assertionResults"] = [MappingProxyType(t) for t in entry["assertionResults"]]
    again = parse_jest_json_data(data)
    assert again.rows == as_read.rows and again.details == as_read.details


def _doc(**entry: Any) -> dict[str, Any]:
    test = {"ancestorTitles": ["a"], "title": "t", "status": "passed", "duration": 1}
    test.update(entry.pop("test", {}))
    file = {"name": "/r/x.test.js", "status": "passed", "message": "", "assertionResults": [test]}
    file.update(entry)
    return {"numTotalTests": 1, "testResults": [file]}


@pytest.mark.parametrize(
    ("doc", "said"),
    [
        ([], "not a jest --json document: a JSON list"),
        ({"numTotalTests": 1}, "no 'testResults' list"),
        ({"testResults": {}}, "$.testResults: is dict, expected list"),
        ({"testResults": [3]}, "$.testResults[0]: is int, expected an object"),
        ({"testResults": [{}]}, "$.testResults[0]: has no 'name'"),
        ({"numTotalTests": "7", "testResults": []}, "$.numTotalTests: is str, expected int"),
        (_doc(name=5), "$.testResults[0].name: is int, expected str"),
        (_doc(assertionResults="x"), "$.testResults[0].assertionResults: is str, expected list"),
        (_doc(test={"status": "flaky"}), "assertionResults[0].status: unknown test status 'flaky'"),
        (_doc(test={"title": None}), "$.testResults[0].assertionResults[0]: has no 'title'"),
        (_doc(test={"duration": "1"}), "assertionResults[0].duration: is str, expected int or"),
        (_doc(test={"duration": True}), "assertionResults[0].duration: is bool, expected int"),
        (_doc(test={"ancestorTitles": [1]}), "assertionResults[0].ancestorTitles[0]: is int"),
        (_doc(test={"failureMessages": "x"}), "assertionResults[0].failureMessages: is str"),
        (_doc(assertionResults=[[]]), "$.testResults[0].assertionResults[0]: is list"),
    ],
)
def test_wrong_shapes_say_where(tmp_path: Path, doc: object, said: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ReportParseError) as caught:
        parse_jest_json(path)
    assert caught.value.path == str(path)
    assert said in caught.value.reason


def test_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text('{\n  "testResults": [\n  oops\n]}', encoding="utf-8")
    with pytest.raises(ReportParseError) as caught:
        parse_jest_json(path)
    assert caught.value.line == 3 and "not valid JSON" in caught.value.reason


def test_totals_that_disagree_are_a_warning() -> None:
    doc = _doc()
    doc["numPassedTests"] = 2
    run = parse_jest_json_data(doc, path="r.json")
    (warning,) = run.warnings
    assert warning.startswith("r.json: jest's totals differ") and "numPassedTests 2" in warning
    assert "(the results hold 1)" in warning


def test_an_interrupted_run_says_so() -> None:
    doc = _doc()
    doc["wasInterrupted"] = True
    run = parse_jest_json_data(doc, path="r.json")
    assert run.interrupted.startswith("jest says it was interrupted")


def test_the_same_titles_twice_are_two_tests() -> None:
    doc = _doc()
    doc["testResults"].append(dict(doc["testResults"][0], name="/r/y.test.js"))
    run = parse_jest_json_data(doc)
    # (in two files: told by the file, which jest's order of files does not change)
    assert [r.test_id for r in run.rows] == ["a t::a t [/r/x.test.js]", "a t::a t [/r/y.test.js]"]
    assert [r.suite for r in run.rows] == ["/r/x.test.js", "/r/y.test.js"]
