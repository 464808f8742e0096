"""Odd durations ("nan", "inf", "-5") are no durations: the suite's time and --json stay numbers
(NaN summed into a suite's time was printed "nan s" and written as NaN, which is no JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.suites import triage

JUNIT = """<testsuites><testsuite name="s">
<testcase classname="a" name="b" time="0.5"/>
<testcase classname="a" name="c" time="nan"/>
<testcase classname="a" name="d" time="-5"/>
<testcase classname="a" name="e" time="inf"/>
<testcase classname="a" name="f" time="0.25" status="run"/>
<testcase classname="a" name="g" time="NaN" status="run"/>
</testsuite></testsuites>
"""


def _strict(constant: str) -> None:
    raise ValueError(f"not JSON: {constant}")


def test_odd_durations_are_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    report = triage(path)
    durations = {row.name: row.duration for row in report.current.rows}
    assert durations == {"b": 0.5, "c": None, "d": None, "e": None, "f": 0.25, "g": None}
    assert report.suites[0].duration == 0.75
    assert main(["triage", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=_strict)
    assert data["suites"][0]["duration_s"] == 0.75


def test_odd_durations_in_pytest_json_are_left_out(tmp_path: Path) -> None:
    stage = {"duration": float("nan"), "outcome": "passed"}
    good = {"duration": 0.5, "outcome": "passed"}
    data = {
        "collectors": [],
        "tests": [
            {"nodeid": "t.py::a", "outcome": "passed", "setup": good, "call": stage},
            {"nodeid": "t.py::b", "outcome": "passed", "call": {**good, "duration": -3}},
        ],
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))  # (Python writes NaN; json-report could too)
    report = triage(path)
    assert {row.name: row.duration for row in report.current.rows} == {"a": 0.5, "b": 0.0}
