"""jest-junit writes ``test.todo`` as a passing testcase that its suite's ``tests`` leaves out:
triage tells them apart when the file allows it, and says so when it does not."""

from __future__ import annotations

from pathlib import Path

from netra_diag.suites import parse_junit
from netra_diag.suites.model import Outcome


def _jest(tmp_path: Path, declared: int, cases: str, root: str = "jest tests") -> Path:
    path = tmp_path / "jest.xml"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="{root}" tests="{declared}">'
        f'<testsuite name="agent events" tests="{declared}" failures="0" errors="0" skipped="0">'
        f"{cases}</testsuite></testsuites>",
        encoding="utf-8",
    )
    return path


def _case(name: str, time: str = "0", body: str = "") -> str:
    title = f"agent events {name}"
    return f'<testcase classname="{title}" name="{title}" time="{time}">{body}</testcase>'


def test_the_one_zero_second_pass_beyond_the_suites_count_is_a_todo(tmp_path: Path) -> None:
    path = _jest(tmp_path, 2, _case("a", "0.004") + _case("todo") + _case("b", "0.010"))
    run = parse_junit(path)
    assert (run.counts.passed, run.counts.skipped) == (2, 1)
    todo = run.get("agent events todo::agent events todo")
    assert todo is not None and todo.outcome is Outcome.SKIPPED
    assert todo.problems[0].type == "todo"
    assert [row.test_id for row in run.rows][1] == "agent events todo::agent events todo"
    assert not run.warnings


def test_which_pass_is_the_todo_unknown_is_a_warning_not_a_guess(tmp_path: Path) -> None:
    # two passes took 0 s, one is a todo: the file does not say which
    path = _jest(tmp_path, 2, _case("a") + _case("todo") + _case("b", "0.010"))
    run = parse_junit(path)
    assert (run.counts.passed, run.counts.skipped) == (3, 0)
    (warning,) = run.warnings
    assert "declares 2 tests but has 3 testcases" in warning
    assert "1 of its passes may be todos" in warning


def test_a_suite_whose_count_matches_has_no_todo(tmp_path: Path) -> None:
    run = parse_junit(_jest(tmp_path, 2, _case("a") + _case("b")))
    assert (run.counts.passed, run.counts.skipped) == (2, 0)
    assert not run.warnings


def test_other_runners_reports_are_left_alone(tmp_path: Path) -> None:
    run = parse_junit(_jest(tmp_path, 1, _case("a") + _case("b"), root="pytest tests"))
    assert run.counts.passed == 2 and not run.warnings


def test_a_failing_test_beyond_the_count_is_no_todo(tmp_path: Path) -> None:
    failing = _case("f", "0", '<failure message="x">Error: x</failure>')
    run = parse_junit(_jest(tmp_path, 1, _case("a", "0.002") + failing))
    assert (run.counts.passed, run.counts.failed, run.counts.skipped) == (1, 1, 0)
    assert run.warnings and "may be todos" in run.warnings[0]
