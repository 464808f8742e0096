"""A test run again after a failure (pytest-rerunfailures): each attempt keeps its own recording,
labelled with what became of that attempt, and triage links them without calling the failed
attempt's cassette one of another run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from links_kit import run_suite

from netra_diag.suites import triage

FLAKY = """
from pathlib import Path

import pytest

COUNT = Path(__file__).with_name("attempts")


@pytest.mark.asyncio
async def test_flaky_session(service, token, netra_session):
    n = int(COUNT.read_text()) if COUNT.exists() else 0
    COUNT.write_text(str(n + 1))
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert n >= 1, "the first attempt fails"
"""

# What pytest-rerunfailures does with --reruns 1, for machines without it: the same item run
# again after a failed attempt, whose failing report is logged with the outcome "rerun".
RERUN_STAND_IN = """

from _pytest.runner import runtestprotocol


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for attempt in (1, 2):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        again = attempt == 1 and any(r.failed for r in reports)
        for report in reports:
            if again and report.failed:
                report.outcome = "rerun"
            item.ihook.pytest_runtest_logreport(report=report)
        if not again:
            break
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"""

NODE = "test_agent.py::test_flaky_session"
RERUNNERS = [
    pytest.param("stand-in", id="stand-in"),
    pytest.param(
        "pytest-rerunfailures",
        id="pytest-rerunfailures",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("pytest_rerunfailures") is None,
            reason="pytest-rerunfailures is not installed",
        ),
    ),
]


@pytest.mark.parametrize("rerunner", RERUNNERS)
def test_each_attempt_keeps_its_recording_and_its_own_outcome(
    tmp_path: Path, rerunner: str
) -> None:
    if rerunner == "stand-in":
        run = run_suite(tmp_path, FLAKY, conftest_extra=RERUN_STAND_IN)
    else:
        run = run_suite(tmp_path, FLAKY, "--reruns", "1")
    assert run.returncode == 0, run.stdout
    # The failed first attempt was labelled with the final outcome ("passed") by the second.
    assert run.labels(NODE, 0) == {"nodeid": NODE, "outcome": "rerun", "attempt": "1"}
    assert run.labels(NODE, 1) == {"nodeid": NODE, "outcome": "passed", "attempt": "2"}
    # One netra_events property for the attempt that counts, not one more per attempt.
    xml = run.junit.read_text(encoding="utf-8")
    last = xml[xml.rindex("<testcase") :]
    assert last.count('name="netra_events"') == 1, last
    report = triage(run.junit, recordings=run.recordings)
    assert not [n for n in report.notes if "disagree" in n], report.notes
    assert {r.outcome for r in report.recordings["test_agent::test_flaky_session"]} == {
        "rerun",
        "passed",
    }
