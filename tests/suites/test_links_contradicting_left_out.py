"""A recording whose recorded outcome contradicts the results (another run's cassettes given
with ``--recordings``) is left out of the test's evidence, not only warned about: a failing test
was shown with a passing run's recording and "contract: PASS" under it, as if that were what
the failure recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from links_kit import run_suite

from netra_diag.suites import triage

TESTS = """
import os

import pytest


@pytest.mark.asyncio
async def test_chat(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert os.environ.get("CHAT_FAILS") != "1", "the reply was wrong"
"""
TEST_ID = "test_agent::test_chat"


def test_a_recording_of_another_outcome_is_not_shown_as_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    passing = run_suite(tmp_path / "first", TESTS)
    assert passing.returncode == 0, passing.stdout
    monkeypatch.setenv("CHAT_FAILS", "1")
    failing = run_suite(tmp_path / "second", TESTS)
    assert failing.returncode == 1, failing.stdout
    # The failing run's results, with the passing run's recordings.
    report = triage(failing.junit, recordings=passing.recordings)
    assert TEST_ID not in report.recordings, report.recordings
    (note,) = [n for n in report.notes if "disagree" in n]
    assert f"{TEST_ID}: recorded 'passed', the results say 'failed'" in note
    assert note.endswith("recorded in another run? left out"), note
    assert str(passing.cassette("test_agent.py::test_chat")) not in report.to_text()
    # Its own recordings are linked as ever.
    own = triage(failing.junit, recordings=failing.recordings)
    assert [r.path for r in own.recordings[TEST_ID]] == [
        str(failing.cassette("test_agent.py::test_chat"))
    ]
