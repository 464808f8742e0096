"""Two test files holding the same test title, in two real jest runs of the same code
(``tests/fixtures/suites/jest_order/``, see the README there): jest ran the files in another order
the second time (the one that failed first). The JSON's ids told the two tests apart by their
position ("connects", "connects #2"), so the second run read as one new failure and one fix
against the first; each is told by its file now."""

from __future__ import annotations

import pytest
from suite_runs import FIXTURES, jest_says

from netra_diag.cli import main
from netra_diag.suites import load_results, parse_jest_json

ORDER = FIXTURES / "jest_order"
A = "__tests__/a_longer_file_name.test.js"
B = "__tests__/b.test.js"


def test_jest_ran_the_files_in_another_order() -> None:
    assert (ORDER / "run1.order.txt").read_text(encoding="utf-8").split() == ["PASS", A, "FAIL", B]
    assert (ORDER / "run2.order.txt").read_text(encoding="utf-8").split() == ["FAIL", B, "PASS", A]


@pytest.mark.parametrize("run_name", ["run1", "run2"])
def test_a_title_in_two_files_is_told_by_its_file(run_name: str) -> None:
    _, tests = jest_says(ORDER / f"{run_name}.summary.txt")
    run = parse_jest_json(ORDER / f"{run_name}.json")
    assert (run.counts.failed, run.counts.passed) == (tests["failed"], tests["passed"])
    failed = run.get(f" connects:: connects [{B}]")
    passed = run.get(f" connects:: connects [{A}]")
    assert failed is not None and failed.failing
    assert passed is not None and not passed.failing
    assert run.get(" streams:: streams") is not None  # (a title one file holds: as before)


def test_the_same_code_run_again_has_no_new_failure(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["triage", str(ORDER / "run2.json"), "--baseline", str(ORDER / "run1.json")])
    out = capsys.readouterr().out
    assert code == 0  # was 7: "1 new failure since baseline", and "1 fixed"
    assert "new failure" not in out and "fixed" not in out


def test_with_its_jest_junit_xml_the_run_is_counted_once() -> None:
    # jest-junit's testcases are " connects", " connects #2": the same tests
    both = load_results([ORDER / "run2.junit.xml", ORDER / "run2.json"])
    assert both.counts == parse_jest_json(ORDER / "run2.json").counts
    [said] = both.warnings
    assert "one jest run in two formats (3 of the XML's 3 testcases" in said


def test_the_jest_junit_xml_says_its_ids_depend_on_the_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # jest-junit names no file: the XML of the same two runs still reads as a new failure and a
    # fix (nothing here can tell which "connects" is which); the warning says why, and the cure
    code = main(
        ["triage", str(ORDER / "run2.junit.xml"), "--baseline", str(ORDER / "run1.junit.xml")]
    )
    out = capsys.readouterr().out
    assert code == 7  # (what the XML alone can say)
    assert "tests share titles (1 test told apart from another by the order of the report" in out
    assert 'classNameTemplate to "{filepath}"' in out
    # beside the run's jest --json, which tells them by their file, it is not said
    both = load_results([ORDER / "run2.junit.xml", ORDER / "run2.json"])
    assert not [w for w in both.warnings if "tests share titles" in w]


def test_a_title_twice_in_one_file_and_once_in_another() -> None:
    # (jest's own shape, cut down: the file's order numbers its repeats, "#2", in that file)
    from netra_diag.suites.jest_json import parse_jest_json_data

    def test(status: str) -> dict[str, object]:
        return {"ancestorTitles": [], "title": "connects", "status": status}

    doc = {
        "testResults": [
            {"name": "/r/b.test.js", "assertionResults": [test("failed")]},
            {"name": "/r/a.test.js", "assertionResults": [test("passed"), test("passed")]},
        ]
    }
    ids = [row.test_id for row in parse_jest_json_data(doc, results_dir="/r").rows]
    assert ids == [
        " connects:: connects [b.test.js]",
        " connects:: connects [a.test.js]",
        " connects:: connects [a.test.js] #2",
    ]
