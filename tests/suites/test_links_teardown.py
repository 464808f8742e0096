"""A test whose call failed and whose teardown raised too is FAILED and ERROR for pytest, 'error'
in its label, 'failed' in JUnit: that is one run, not a recording of another."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import triage

BOTH = """
import pytest


@pytest.fixture
def staging_user():
    yield "user-qa-1"
    raise RuntimeError("cleanup of the staging user failed")


@pytest.mark.asyncio
async def test_fails_then_cleanup_fails(service, token, netra_session, staging_user):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "wrong answer"
"""


def test_a_failed_call_with_a_failed_teardown_is_not_another_runs_recording(
    tmp_path: Path,
) -> None:
    run = run_suite(tmp_path, BOTH)
    assert "1 failed, 1 error" in run.stdout, run.stdout
    assert run.labels("test_agent.py::test_fails_then_cleanup_fails")["outcome"] == "error"
    report = triage(run.junit, recordings=run.recordings)
    assert report.recordings["test_agent::test_fails_then_cleanup_fails"]
    assert not [n for n in report.notes if "disagree" in n], report.notes
