"""Collection as pytest counts it: a module that skips itself is "1 skipped" in pytest-json-report
results too, and an import error raised while a test runs is not said to be at collection.

The reports are trimmed from a real run (pytest 9.2, pytest-json-report 1.5) of
``tests/e2e/test_modskip.py`` (``pytest.skip("staging unreachable: no route",
allow_module_level=True)``) and ``tests/e2e/test_golden.py::test_fixture_fail``
(``pytest.fail("cannot import name 'StagingConfig' from 'netra.config'")``); pytest said
``1 failed, 1 skipped``.
"""

from __future__ import annotations

import json
from pathlib import Path

from netra_diag.suites import Category, Phase, VacuousKind, triage

_SKIP = "('/tmp/s/tests/e2e/test_modskip.py', 2, 'Skipped: staging unreachable: no route')"
_FAIL = "cannot import name 'StagingConfig' from 'netra.config'"

JSON_REPORT = {
    "exitcode": 1,
    "summary": {"failed": 1, "total": 1, "collected": 1},
    "collectors": [
        {"nodeid": "", "outcome": "passed", "result": [{"nodeid": ".", "type": "Dir"}]},
        {
            "nodeid": "tests/e2e/test_golden.py",
            "outcome": "passed",
            "result": [
                {
                    "nodeid": "tests/e2e/test_golden.py::test_fixture_fail",
                    "type": "Function",
                    "lineno": 14,
                }
            ],
        },
        {
            "nodeid": "tests/e2e/test_modskip.py",
            "outcome": "skipped",
            "result": [],
            "longrepr": _SKIP,
        },
    ],
    "tests": [
        {
            "nodeid": "tests/e2e/test_golden.py::test_fixture_fail",
            "lineno": 14,
            "outcome": "failed",
            "setup": {"duration": 0.0001, "outcome": "passed"},
            "call": {
                "duration": 0.0001,
                "outcome": "failed",
                "crash": {
                    "path": "/tmp/s/tests/e2e/test_golden.py",
                    "lineno": 16,
                    "message": _FAIL,
                },
                "longrepr": f"request = <FixtureRequest>\n\n    def test_fixture_fail(request):\n"
                f'>       pytest.fail("{_FAIL}")\nE       Failed: {_FAIL}\n\n'
                "tests/e2e/test_golden.py:16: Failed",
            },
            "teardown": {"duration": 0.0001, "outcome": "passed"},
        }
    ],
}

JUNIT = f"""<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite \
name="pytest" errors="0" failures="1" skipped="1" tests="2" time="0.4" hostname="vm"><testcase \
classname="" name="tests.e2e.test_modskip" time="0.000"><skipped message="collection skipped">\
{_SKIP.replace("'", "&apos;")}</skipped></testcase><testcase classname="tests.e2e.test_golden" \
name="test_fixture_fail" file="tests/e2e/test_golden.py" line="14" time="0.001"><failure \
message="Failed: {_FAIL.replace("'", "&apos;")}">request = &lt;FixtureRequest&gt;

    def test_fixture_fail(request):
&gt;       pytest.fail("{_FAIL}")
E       Failed: {_FAIL}

tests/e2e/test_golden.py:16: Failed</failure></testcase></testsuite></testsuites>
"""


def _reports(tmp_path: Path) -> list[Path]:
    (tmp_path / "report.json").write_text(json.dumps(JSON_REPORT))
    (tmp_path / "junit.xml").write_text(JUNIT)
    return [tmp_path / "report.json", tmp_path / "junit.xml"]


def test_a_module_that_skipped_itself_counts_as_pytest_said(tmp_path: Path) -> None:
    for path in _reports(tmp_path):
        report = triage(path)
        counts = report.current.counts
        assert (counts.failed, counts.skipped, counts.passed) == (1, 1, 0), path.name
        assert "tests.e2e.test_modskip" in report.current.row_by_id
        kinds = {s.kind for s in report.vacuous}
        assert VacuousKind.SKIPPED_UNREACHABLE in kinds, path.name


def test_an_import_error_while_a_test_runs_is_not_at_collection(tmp_path: Path) -> None:
    for path in _reports(tmp_path):
        (cluster,) = triage(path).clusters
        assert cluster.category is Category.IMPORT_CONFIG
        assert cluster.phase is not Phase.COLLECTION, path.name
        assert "at collection" not in cluster.category_reason


def test_a_report_without_collectors_says_collection_errors_may_be_missing(
    tmp_path: Path,
) -> None:
    # pytest --json-report --json-report-omit collectors ...: a module that failed to import
    # is then in no list of the report, though pytest counted it "1 error"
    data = {k: v for k, v in JSON_REPORT.items() if k != "collectors"}
    path = tmp_path / "omit.json"
    path.write_text(json.dumps(data))
    report = triage(path)
    assert any("no 'collectors'" in w for w in report.warnings)
    (tmp_path / "full.json").write_text(json.dumps(JSON_REPORT))
    assert not triage(tmp_path / "full.json").warnings


def test_a_run_stopped_at_collection_says_no_test_ran(tmp_path: Path) -> None:
    # pytest without --continue-on-collection-errors: one module failed to import, and pytest
    # said "1 error ... Interrupted: 1 error during collection"
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests"><testsuite '
        'name="pytest" errors="1" failures="0" skipped="0" tests="1"><testcase classname="" '
        'name="test_import" time="0.000"><error message="collection failure">ImportError while '
        "importing test module\nE   ModuleNotFoundError: No module named 'netra_config'"
        "</error></testcase></testsuite></testsuites>"
    )
    report = triage(path)
    assert report.headline.startswith("no test ran: 1 module failed at collection")
    assert "0 of 1" not in report.headline


def test_the_suite_row_adds_up_and_is_never_cut(tmp_path: Path) -> None:
    # pytest-json-report tells xfailed and xpassed apart: the row names them, whole
    def test(name: str, outcome: str) -> dict[str, object]:
        call = {"outcome": "failed" if outcome == "failed" else "passed"}
        if outcome == "failed":
            call["longrepr"] = "E   TimeoutError: timed out waiting for agent_completed"
        return {"nodeid": f"tests/test_auth.py::{name}", "outcome": outcome, "call": call}

    tests = [test(f"test_f{i}", "failed") for i in range(6)]
    tests += [test("test_p", "passed"), test("test_xf", "xfailed"), test("test_xp", "xpassed")]
    tests.append(
        {
            "nodeid": "tests/test_auth.py::test_s",
            "outcome": "skipped",
            "setup": {"outcome": "skipped", "longrepr": "('x', 1, 'Skipped: later')"},
        }
    )
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"collectors": [], "tests": tests}))
    report = triage(path)
    expected = "1/10 pass (10 %); 6 failed, 1 skipped, 1 xfailed, 1 xpassed"
    assert report.suites[0].current_text() == expected
    assert expected in report.to_text()  # (was cut at 48 characters: "… 1 xfaile…")
