"""A relative ``--netra-record`` folder is the one pytest was started in, also for a test that
changes the working directory (``monkeypatch.chdir``) before it opens its session: its cassette
went to a folder of the same name under the new directory, and triage had none."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import triage

CHDIR = """
import pytest


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.mark.asyncio
async def test_in_a_workdir(workdir, service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "wrong answer"
"""


def test_a_test_that_changes_directory_records_into_the_given_folder(tmp_path: Path) -> None:
    run = run_suite(tmp_path, CHDIR, "--netra-record=rec")  # relative to the suite
    recordings = tmp_path / "suite" / "rec"
    assert "netra-diag: 1 cassette of this run in rec " in run.stdout, run.stdout
    report = triage(run.junit, recordings=recordings)
    (rec,) = report.recordings["test_agent::test_in_a_workdir"]
    assert rec.frames_in > 0 and rec.outcome == "failed"
