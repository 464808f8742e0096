"""``load_frames`` (what notebooks read) on a session refused at connect: its AUTH_FAILED errors
are the connection's, shown as events, not a run that never happened."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.errors import SessionClosed
from netra_diag.live import Session
from netra_diag.recording import load_frames
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


async def test_a_session_refused_at_connect_has_no_run(tmp_path: Path) -> None:
    path = tmp_path / "refused.jsonl"
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    config = EmulatorConfig(
        auth=AuthMode.STRICT,
        timing=TimingProfile(time_scale=0),
        faults=FaultPlan.parse("reject_auth"),
    )
    async with run_service(config) as svc:
        with pytest.raises(SessionClosed):
            await Session.connect(svc.ws_url("/ws"), token=token, transport="auto", record=path)
    frames = load_frames(path)
    errors = frames.events[frames.events["kind"] == "error"]
    assert len(errors) >= 2 and set(errors["type"]) == {"error_message"}  # one per transport
    assert frames.runs.empty, frames.runs.to_string()
