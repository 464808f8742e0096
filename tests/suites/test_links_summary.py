"""pytest's summary says how many cassettes the run recorded, and says it plainly when none: the
suite talks to the service with a client of its own, and triage will have no recording."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite

OWN_CLIENT = """
import pytest
import websockets


@pytest.mark.asyncio
async def test_golden_path(service, token):
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(service.url, additional_headers=headers) as ws:
        await ws.recv()
"""


def test_a_run_that_recorded_nothing_says_so(tmp_path: Path) -> None:
    run = run_suite(tmp_path, OWN_CLIENT)
    assert run.returncode == 0, run.stdout
    assert (
        "netra-diag: no test opened a session with the netra_session fixture: "
        f"{run.recordings} has no cassette of this run, only test outcomes"
    ) in run.stdout
