"""Cassettes nothing could be read from (an empty file, a header cut short, garbage) are said to
be unreadable, not sessions that received zero frames: a passing test's is no "empty recording",
a failing test's puts it in no phase, and the other recordings of the run are still linked."""

from __future__ import annotations

import os
from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import VacuousKind, triage

SUITE = """
import pytest


@pytest.mark.asyncio
async def test_golden_path(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)


@pytest.mark.asyncio
async def test_answer(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "wrong answer"


@pytest.mark.asyncio
async def test_tools(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "wrong tool"


@pytest.mark.asyncio
async def test_intact(service, token, netra_session):
    session = await netra_session(service.url, token=token, transport="header")
    await session.run("hello", timeout=10)
    assert False, "still wrong"
"""


def test_unreadable_cassettes_are_said_unreadable_and_the_rest_still_linked(
    tmp_path: Path,
) -> None:
    run = run_suite(tmp_path, SUITE)
    assert run.returncode == 1, run.stdout
    golden = run.cassette("test_agent.py::test_golden_path")
    golden.write_bytes(os.urandom(300).replace(b"\n", b"x"))  # garbage
    answer = run.cassette("test_agent.py::test_answer")
    answer.write_bytes(answer.read_bytes()[:150])  # cut within its header
    tools = run.cassette("test_agent.py::test_tools")
    tools.write_bytes(b"")  # killed as the session opened
    report = triage(run.junit, recordings=run.recordings)
    assert not [s for s in report.vacuous if s.kind is VacuousKind.ZERO_FRAME_RECORDING]
    text = report.to_text()
    assert "ZERO FRAMES" not in text
    for path in (answer, tools):
        assert f"recording {path}: 0 in / 0 out frames; UNREADABLE" in text
    clusters = {c.representative: c for c in report.clusters}
    assert clusters["test_agent::test_answer"].phase != "connect"
    (intact,) = report.recordings["test_agent::test_intact"]
    assert intact.frames_in > 0 and "UNREADABLE" not in intact.summary()
    assert [n for n in report.notes if "damaged recordings" in n]
    (empty,) = report.recordings["test_agent::test_tools"]
    assert empty.warnings == (f"{tools}: empty file",)
