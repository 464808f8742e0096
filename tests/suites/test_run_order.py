"""A history of runs is read in the order the runs happened: by the start times their reports
give, else by name with numbers read as numbers ("build-9" before "build-10")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.suites import triage
from netra_diag.suites.junit import parse_junit
from netra_diag.suites.merge import load_results, parse_results
from netra_diag.suites.run_order import earliest_start, natural_key, sorted_by_name
from netra_diag.suites.triage import TriageReport


def _junit(path: Path, outcome: str, stamp: str | None = None) -> Path:
    """A pytest-style report of one test, ``test_flip``, that passed or failed."""
    when = f' timestamp="{stamp}"' if stamp else ""
    body = '<failure message="AssertionError: boom">E   AssertionError: boom</failure>'
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
        f'<testsuite name="pytest" errors="0" failures="{int(outcome == "F")}" skipped="0" '
        f'tests="1" time="0.5"{when}>'
        '<testcase classname="tests.test_flip" name="test_flip" time="0.2">'
        f"{body if outcome == 'F' else ''}</testcase>"
        '<testcase classname="tests.test_flip" name="test_steady" time="0.2"></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    return path


def _flaky(report: TriageReport) -> list[str]:
    assert report.flakiness is not None
    return [f.test_id for f in report.flakiness.flaky]


def test_numbers_in_names_sort_as_numbers() -> None:
    names = ["build-10.xml", "build-9.xml", "build-11.xml", "Build-2.xml", "notes.xml"]
    ordered = [p.name for p in sorted_by_name(Path(n) for n in names)]
    assert ordered == ["Build-2.xml", "build-9.xml", "build-10.xml", "build-11.xml", "notes.xml"]
    assert natural_key("run-9") < natural_key("run-10") < natural_key("run-10a")


def test_a_history_named_by_build_number_is_read_in_build_order(tmp_path: Path) -> None:
    # In build order test_flip failed once, then passed: one flip, not flaky. In plain name
    # order (build-10, build-11, build-9) it reads pass, pass, fail, pass: two flips, "flaky".
    history = tmp_path / "history"
    history.mkdir()
    for name, outcome in (("build-9", "F"), ("build-10", "P"), ("build-11", "P")):
        _junit(history / f"{name}.xml", outcome)
    current = _junit(tmp_path / "current.xml", "P")
    report = triage([str(current)], history=history)
    assert _flaky(report) == []
    assert not any("order they started" in n for n in report.notes)


def test_a_history_is_read_in_the_order_its_reports_started(tmp_path: Path) -> None:
    # Artifacts named by ids that say nothing of time: the reports' own timestamps decide.
    history = tmp_path / "history"
    history.mkdir()
    runs = (
        ("a1f3", "P", "2026-12-01T10:00:00+00:00"),
        ("b7c2", "P", "2026-12-01T11:00:00+00:00"),
        ("c0de", "F", "2026-12-01T09:00:00+00:00"),
    )
    for name, outcome, stamp in runs:
        _junit(history / f"{name}.xml", outcome, stamp)
    current = _junit(tmp_path / "current.xml", "P", "2026-12-01T12:00:00+00:00")
    report = triage([str(current)], history=history)
    assert _flaky(report) == []
    assert any("taken in the order they started" in n for n in report.notes)
    assert "order they started" in report.to_text()


def test_time_order_needs_every_run_to_say_when(tmp_path: Path) -> None:
    history = tmp_path / "history"
    history.mkdir()
    _junit(history / "a.xml", "P", "2026-12-01T10:00:00+00:00")
    _junit(history / "b.xml", "P")  # no timestamp: name order for all
    _junit(history / "c.xml", "F", "2026-12-01T09:00:00+00:00")
    current = _junit(tmp_path / "current.xml", "P", "2026-12-01T12:00:00+00:00")
    report = triage([str(current)], history=history)
    assert _flaky(report) == ["tests.test_flip::test_flip"]  # P P F P, in name order
    assert not any("order they started" in n for n in report.notes)


def test_runs_carry_their_start_from_junit_and_pytest_json(tmp_path: Path) -> None:
    run = parse_junit(_junit(tmp_path / "r.xml", "P", "2026-12-01T10:00:00.123456+01:00"))
    assert run.started == "2026-12-01T10:00:00.123456+01:00"
    report = tmp_path / "r.json"
    report.write_text(
        json.dumps({"created": 1764583200.5, "exitcode": 0, "summary": {}, "tests": []}),
        encoding="utf-8",
    )
    assert parse_results(report).started == "2025-12-01T10:00:00.500000+00:00"


@pytest.mark.parametrize(
    ("stamps", "earliest"),
    [
        (["2026-12-01T10:00:00", "2026-12-01T09:00:00"], "2026-12-01T09:00:00"),
        (["garbage", "", "2026-12-01T10:00:00+00:00"], "2026-12-01T10:00:00+00:00"),
        (["2026-12-01T08:00:00", "2026-12-01T10:00:00+00:00"], "2026-12-01T10:00:00+00:00"),
        (["not a time"], ""),
    ],
)
def test_the_earliest_readable_stamp_is_the_start(stamps: list[str], earliest: str) -> None:
    assert earliest_start(stamps) == earliest


def test_shards_without_times_are_read_in_number_order(tmp_path: Path) -> None:
    # The last shard read wins where two disagree: shard-10 is the retry of shard-2's test,
    # and plain name order read it first.
    shards = tmp_path / "shards"
    shards.mkdir()
    _junit(shards / "shard-2.xml", "F")
    _junit(shards / "shard-10.xml", "P")
    flip = load_results(shards).get("tests.test_flip::test_flip")
    assert flip is not None and str(flip.outcome) == "passed" and flip.passed_on_retry


@pytest.mark.parametrize("names", [("a.xml", "b.xml"), ("b.xml", "a.xml")])
def test_of_two_attempts_the_later_started_wins_whatever_the_names(
    tmp_path: Path, names: tuple[str, str]
) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    first, retry = names
    _junit(shards / first, "F", "2026-12-01T10:00:00+00:00")
    _junit(shards / retry, "P", "2026-12-01T10:30:00+00:00")
    run = load_results(shards)
    assert run.started == "2026-12-01T10:00:00+00:00"
    flip = run.get("tests.test_flip::test_flip")
    assert flip is not None and str(flip.outcome) == "passed" and flip.passed_on_retry


def test_a_jest_json_run_says_when_it_started() -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "suites" / "jest_json" / "passing.json"
    started = parse_results(fixture).started
    assert started.startswith("20") and started.endswith("+00:00")
