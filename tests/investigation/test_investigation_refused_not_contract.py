"""A session refused for its token (AUTH_FAILED, close 1008) fails the auth check only. The
investigation's contracts check once also counted it as a session that "broke the event
contract (error_frame in 1, connection_closed in 1)": one refusal named twice, and a contract
failure for a session that was never given an event."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from timeouts import scaled

from netra_diag import investigation
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.errors import NetraDiagError
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


async def test_a_refused_session_is_not_a_broken_event_contract(tmp_path: Path) -> None:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    async with run_service(config) as svc:
        good = mint_token("user-good", key=LOCAL_DEV_SECRET, now=time.time())
        async with Session.connect(
            svc.ws_url("/ws"), token=good, record=tmp_path / "good.jsonl"
        ) as s:
            await s.run("hello", timeout=scaled(2.0))
        wrong_key = mint_token("user-bad", key="another-secret-" * 3, now=time.time())
        with contextlib.suppress(NetraDiagError):
            async with Session.connect(
                svc.ws_url("/ws"), token=wrong_key, record=tmp_path / "refused.jsonl"
            ) as s:
                await s.run("hello", timeout=scaled(2.0))
    inv = investigation.analyse(tmp_path, results=[])
    checks = {c.name: c for c in inv.checks}
    assert not checks["auth"].passed, checks["auth"]
    contracts = checks["contracts"]
    assert contracts.passed, contracts.detail
    assert contracts.detail == (
        "the one session kept the event contract; 1 session refused for the token (see auth)"
    )
    assert "broke the event contract" not in inv.headline
