"""Reading a folder of long recordings takes a while (the event contract of each is checked):
``find_recordings`` tells a progress bar of each cassette before reading it."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import find_recordings

TWO = """
import pytest


@pytest.mark.asyncio
@pytest.mark.parametrize("n", [1, 2])
async def test_chat(service, token, netra_session, n):
    for _ in range(n):
        session = await netra_session(service.url, token=token, transport="header")
        await session.run("hello", timeout=10)
"""


def test_each_cassette_is_told_before_it_is_read(tmp_path: Path) -> None:
    run = run_suite(tmp_path, TWO)
    assert run.returncode == 0, run.stdout
    told: list[Path] = []
    found = find_recordings(run.recordings, on_file=told.append)
    assert told == [
        run.cassette("test_agent.py::test_chat[1]"),
        run.cassette("test_agent.py::test_chat[2]"),
        run.cassette("test_agent.py::test_chat[2]", 1),
    ]
    assert sum(len(recs) for recs in found.values()) == 3
