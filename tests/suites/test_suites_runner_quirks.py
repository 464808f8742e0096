"""What real runners write that a pass rate gets wrong: node's describe blocks and todo tests,
pytest's teardown errors, runs that ran nothing, regressions that look flaky, history copies."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import Category, Outcome, categorise, parse_junit, triage

NODE = Path(__file__).parents[1] / "fixtures" / "suites" / "node"


def _summary(path: Path) -> dict[str, int]:
    pairs = (line.split()[1:3] for line in path.read_text(encoding="utf-8").splitlines())
    return {word: int(n) for word, n in pairs}


def test_node_ids_name_the_describe_block_not_the_position() -> None:
    # node names every testcase's class "test": an id made of it and a counter ("test::connects
    # #2") shifts when a describe block is added before it, and the diff then calls the same
    # test fixed and new.
    report = triage(
        NODE / "describe_current.junit.xml", baseline=NODE / "describe_baseline.junit.xml"
    )
    ids = [row.test_id for row in report.current.rows]
    assert ids == [
        "query auth::connects",
        "header auth::connects",
        "subprotocol auth::connects",
        "ticket auth",
    ]
    assert report.diff is not None
    assert report.diff.new_failures == () and report.diff.fixed == ()
    assert report.diff.still_failing == ("subprotocol auth::connects",)


def test_node_failing_todo_counts_as_node_counts_it() -> None:
    run = parse_junit(NODE / "describe_current.junit.xml")
    said = _summary(NODE / "describe_current.summary.txt")
    c = run.counts
    assert (c.passed, c.failed, c.skipped) == (said["pass"], said["fail"], said["todo"])
    todo = run.get("ticket auth")
    assert todo is not None and todo.outcome is Outcome.SKIPPED


def test_a_test_that_errored_in_teardown_is_not_called_a_pass(tmp_path: Path) -> None:
    # pytest: "2 passed, 1 error" for test_a (call passed, teardown raised) and test_b.
    results = tmp_path / "junit.xml"
    results.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" errors="1" tests="2">'
        '<testcase classname="test_td" name="test_a" time="0.1"><error message="failed on '
        'teardown with &quot;RuntimeError: close failed&quot;">E RuntimeError: close failed'
        '</error></testcase><testcase classname="test_td" name="test_b" time="0.1"/>'
        "</testsuite></testsuites>"
    )
    report = triage(results)
    assert report.current.counts.summary() == "2 passed, 1 error"  # as pytest counts
    (suite,) = report.suites
    assert suite.passed == 1 and suite.pass_rate == 0.5
    assert suite.current_text() == "1/2 pass (50 %); 1 error (1 after the test passed)"
    assert report.headline == "1 of 2 test_td tests pass"
    assert report.to_dict()["suites"][0]["passing"] == 1


def test_strict_fails_a_run_that_ran_no_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "junit.xml"
    empty.write_text('<testsuites><testsuite name="pytest" tests="0"/></testsuites>')
    assert main(["triage", str(empty)]) == ExitCode.OK
    assert main(["triage", str(empty), "--strict"]) == ExitCode.CONTRACT
    assert "no tests ran" in capsys.readouterr().err


def test_a_run_of_only_xfails_says_xfailed(tmp_path: Path) -> None:
    results = tmp_path / "junit.xml"
    case = (
        '<testcase classname="t" name="{}"><skipped type="pytest.xfail" message="bug"/></testcase>'
    )
    results.write_text(f"<testsuite>{case.format('a')}{case.format('b')}</testsuite>")
    assert triage(results).headline.startswith("all 2 tests xfailed: nothing was tested")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("connect ECONNREFUSED 127.0.0.1:8000", Category.INFRASTRUCTURE),  # node
        ("getaddrinfo ENOTFOUND staging.example", Category.INFRASTRUCTURE),
        ("KeyError: 'user_id'", Category.OTHER),  # a test's own bug, not configuration
        ("KeyError: 'JWT_SECRET_KEY'", Category.IMPORT_CONFIG),  # a missing variable
    ],
)
def test_categories_of_common_messages(message: str, expected: Category, tmp_path: Path) -> None:
    results = tmp_path / "junit.xml"
    results.write_text(
        f'<testsuite><testcase classname="t" name="a"><failure message="{message}">'
        f"{message}</failure></testcase></testsuite>"
    )
    case = parse_junit(results).get("t::a")
    assert case is not None and categorise(case).category is expected


def _write_runs(folder: Path, histories: dict[str, str]) -> None:
    folder.mkdir()
    runs = len(next(iter(histories.values())))
    for n in range(runs):
        body = ""
        for name, letters in histories.items():
            fail = '<failure message="AssertionError: no"/>' if letters[n] == "F" else ""
            body += f'<testcase classname="k" name="{name}" time="0.{n + 1}">{fail}</testcase>'
        (folder / f"run{n:02d}.xml").write_text(f'<testsuite name="s">{body}</testsuite>')


def test_a_test_that_broke_and_stayed_broken_is_not_flaky(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    _write_runs(runs, {"broke": "PPFFF", "flips": "PFPFF", "fixed": "FFPPP"})
    report = triage(runs / "run04.xml", history=runs)
    assert report.flakiness is not None
    assert [f.test_id for f in report.flakiness.flaky] == ["k::flips"]


def test_a_copy_of_the_run_as_the_newest_history_entry_counts_once(tmp_path: Path) -> None:
    # CI downloads the run it triages into the history folder as an artifact: a copy, not the
    # same file.
    runs = tmp_path / "runs"
    _write_runs(runs, {"a": "PFPFP"})
    current = tmp_path / "current.xml"
    current.write_bytes((runs / "run04.xml").read_bytes())
    report = triage(current, history=runs)
    assert report.flakiness is not None and report.flakiness.runs == 5
    # Older runs alike byte for byte are still two runs.
    (runs / "run00.xml").write_bytes((runs / "run02.xml").read_bytes())
    assert triage(current, history=runs).flakiness.runs == 5  # type: ignore[union-attr]


def test_json_piped_into_head_keeps_the_exit_code(tmp_path: Path) -> None:
    script = (
        f"{sys.executable} -m netra_diag triage --demo --json | head -c 10 >/dev/null; "
        'echo "rc=${PIPESTATUS[0]}"'
    )
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "rc=7"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_pytest_json_tests_sit_in_pytest_s_suite_as_in_its_junit(tmp_path: Path) -> None:
    # Shards of one run, one written as JUnit and one as JSON: both in pytest's one generic
    # suite, so that the report shows each module as a suite (a JSON test was "(top level)").
    junit = tmp_path / "a.xml"
    junit.write_text(
        '<testsuites name="pytest tests"><testsuite name="pytest" tests="1">'
        '<testcase classname="test_a" name="test_one" file="test_a.py" line="0"/>'
        "</testsuite></testsuites>"
    )
    report = tmp_path / "b.json"
    report.write_text(
        '{"tests": [{"nodeid": "test_b.py::test_two", "outcome": "failed",'
        ' "call": {"outcome": "failed", "longrepr": "E   AssertionError: no"}}]}'
    )
    result = triage([junit, report])
    assert [s.suite for s in result.suites] == ["test_a", "test_b"]
    assert result.headline == "0 of 1 test_b tests pass"


def test_a_summary_only_json_report_says_why_it_cannot_be_read(tmp_path: Path) -> None:
    summary = tmp_path / "summary.json"
    summary.write_text('{"created": 1, "summary": {"passed": 3, "total": 3}}')
    with pytest.raises(Exception, match="--json-report-summary report has no per-test results"):
        triage(summary)
