"""When a pytest-json-report run started: its ``created`` is written at the session's end.

One real pytest session writes both reports and takes over a second: a start read from
``created`` alone is that much later than the JUnit's ``timestamp``, which puts a history mixing
the two formats, or runs of parallel CI jobs, out of order.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from history_runs import run_history

from netra_diag.suites import load_results

_SLOW = """
import time


def test_waits_for_the_agent():
    time.sleep(1.2)
"""


def test_a_json_report_starts_when_the_junit_of_the_same_session_does(tmp_path: Path) -> None:
    (xml,) = run_history(tmp_path, _SLOW, [1], fmt="both")
    junit_start = datetime.fromisoformat(load_results(xml).started)
    json_start = datetime.fromisoformat(load_results(xml.with_suffix(".json")).started)
    assert abs((json_start - junit_start).total_seconds()) < 0.5, (junit_start, json_start)
