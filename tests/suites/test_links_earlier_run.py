"""A recordings folder reused by a second pytest run keeps what the first recorded and the second
did not overwrite: those cassettes say nothing about the second run's tests, and triage leaves
them out and says so, instead of linking them to the test of the same name."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import VacuousKind, triage

# The first run: the test opens a second session, against a service in DEMO auth mode.
BEFORE = """
import pytest


@pytest.mark.asyncio
async def test_chat(service, demo_service, token, netra_session):
    first = await netra_session(service.url, token=token, transport="header")
    await first.run("hello", timeout=10)
    second = await netra_session(demo_service.url, token=None, transport="none")
    await second.run("hello", timeout=10)
"""

# The second run, the demo session gone: its test_chat.1.jsonl is still in the folder.
AFTER = """
import pytest


@pytest.mark.asyncio
async def test_chat(service, token, netra_session):
    first = await netra_session(service.url, token=token, transport="header")
    await first.run("hello", timeout=10)
"""

NODE = "test_agent.py::test_chat"
TEST_ID = "test_agent::test_chat"


def test_cassettes_an_earlier_run_left_are_left_out_and_said(tmp_path: Path) -> None:
    first = run_suite(tmp_path, BEFORE)
    assert first.returncode == 0, first.stdout
    stale = first.cassette(NODE, 1)
    second = run_suite(tmp_path, AFTER)
    assert second.returncode == 0, second.stdout
    assert stale.exists()  # (the plugin does not delete what it did not write in this run)
    # Said where pytest ends, with -q too.
    assert f"netra-diag: 2 cassettes of this run in {first.recordings} " in first.stdout
    assert (
        "1 cassette of earlier runs this one did not overwrite is there too: triage leaves them out"
    ) in second.stdout, second.stdout
    report = triage(second.junit, recordings=second.recordings)
    assert [r.path for r in report.recordings[TEST_ID]] == [str(second.cassette(NODE))]
    # The demo session of the first run is no auth bypass of this one.
    assert not [s for s in report.vacuous if s.kind is VacuousKind.AUTH_BYPASS], report.vacuous
    (note,) = [n for n in report.notes if "earlier run" in n]
    assert note.startswith(f"{second.recordings}: 1 recording of 1 earlier run (")
    assert str(stale) in note and "which recorded 1 test of these results" in note
    assert note in report.to_text()


TWO = """
import pytest


@pytest.mark.asyncio
async def test_chat(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "wrong answer"


@pytest.mark.asyncio
async def test_tools(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
"""


def test_a_newer_cassette_copied_in_from_another_run_is_left_out(tmp_path: Path) -> None:
    ours = run_suite(tmp_path / "ours", TWO)
    theirs = run_suite(tmp_path / "theirs", TWO)  # later: its run sorts after ours
    copied = ours.recordings / "from-ci.jsonl"
    copied.write_bytes(theirs.cassette(NODE).read_bytes())
    report = triage(ours.junit, recordings=ours.recordings)
    assert [r.path for r in report.recordings[TEST_ID]] == [str(ours.cassette(NODE))]
    (note,) = [n for n in report.notes if "left out" in n]
    assert "1 recording of 1 other run (" in note and str(copied) in note, note
    assert "which recorded 2 tests of these results" in note
