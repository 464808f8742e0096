"""A test killed mid-session (pytest-timeout's thread method, a crashed xdist worker) leaves its
cassette labelled 'pending' and cut short: triage says so, instead of calling it a recording of
another run, and still shows what it holds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from links_kit import run_suite

from netra_diag.suites import find_recordings, triage

KILLED = """
import pytest


@pytest.mark.asyncio
async def test_golden(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)


@pytest.mark.asyncio
@pytest.mark.timeout(1, method="thread")
async def test_killed_mid_run_token(stalling_service, token, netra_session):
    session = await netra_session(stalling_service.url, token=token, transport="header")
    await session.run("hello", timeout=60)
"""

NODE = "test_agent.py::test_killed_mid_run_token"
TEST_ID = "test_agent::test_killed_mid_run_token"

# What pytest-xdist writes for a test whose worker died (its JUnit with -n 1), for machines
# without xdist: pytest itself, killed by pytest-timeout's thread method, writes no JUnit.
CRASHED_WORKER_JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">
<testsuite name="pytest" errors="1" failures="0" skipped="0" tests="2" time="3.4">
<testcase classname="test_agent" name="test_golden" time="0.031"/>
<testcase classname="test_agent" name="test_killed_mid_run_token" time="0.001"><error
 message="failed on setup with &quot;worker 'gw0' crashed while running
 'test_agent.py::test_killed_mid_run_token'&quot;">worker 'gw0' crashed while running
 'test_agent.py::test_killed_mid_run_token'</error></testcase></testsuite></testsuites>
"""

KILLERS = [
    pytest.param("timeout-thread", id="timeout-thread"),
    pytest.param(
        "xdist",
        id="xdist",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("xdist") is None, reason="pytest-xdist is not installed"
        ),
    ),
]


@pytest.mark.parametrize("killer", KILLERS)
def test_a_killed_tests_recording_is_said_cut_short_not_another_runs(
    tmp_path: Path, killer: str
) -> None:
    if killer == "xdist":
        run = run_suite(tmp_path, KILLED, "-n", "1")
        junit = run.junit
        assert "crashed" in run.stdout, run.stdout
    else:
        run = run_suite(tmp_path, KILLED)
        assert "Timeout" in run.stdout and not run.junit.exists(), run.stdout
        junit = tmp_path / "junit.xml"
        junit.write_text(CRASHED_WORKER_JUNIT, encoding="utf-8")
    assert run.labels(NODE)["outcome"] == "pending"
    (rec,) = find_recordings(run.recordings)[TEST_ID]
    assert rec.killed and rec.frames_in >= 1
    report = triage(junit, recordings=run.recordings)
    notes = "\n".join(report.notes)
    assert "another run" not in notes and "disagree" not in notes, notes
    assert "1 recording still labelled 'pending'" in notes and str(rec.path) in notes
    # (a test named *_token: its cassette's path is not taken for the token's value)
    assert f"{rec.path}, of {TEST_ID}" in report.to_markdown().replace("\\", "")
    assert "killed before the test finished" in notes
    text = report.to_text()
    assert f"recording {rec.path}: " in text and "CUT SHORT: the test never finished" in text
