"""A test's recordings are listed in the order it opened its sessions (t.jsonl, t.1.jsonl, ...,
t.10.jsonl), not by file name, where the second session came first and the eleventh before the
third."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

from netra_diag.suites import triage

MANY = """
import pytest


@pytest.mark.asyncio
async def test_many_sessions(service, token, netra_session):
    for n in range(11):
        session = await netra_session(service.url, token=token, transport="header")
        await session.run(f"message {n}", timeout=10)
    assert False, "the eleventh answer was wrong"
"""

NODE = "test_agent.py::test_many_sessions"


def test_recordings_are_in_the_order_the_test_opened_its_sessions(tmp_path: Path) -> None:
    run = run_suite(tmp_path, MANY)
    assert run.returncode == 1, run.stdout
    report = triage(run.junit, recordings=run.recordings)
    paths = [r.path for r in report.recordings["test_agent::test_many_sessions"]]
    assert paths == [str(run.cassette(NODE, n)) for n in range(11)]
    text = report.to_text()
    assert text.index(f"recording {run.cassette(NODE)}:") < text.index(
        f"recording {run.cassette(NODE, 1)}:"
    )
