"""With websockets' debug logging on, a session's log shows the handshake but never its
credentials: not the token of the header or query transports, not a ticket."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator

import pytest

from netra_diag.emulator import AuthMode, EmulatorConfig, ServiceHandle, TimingProfile, run_service
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

SUB = "user-debug-log"
JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")  # a fingerprint is eyJ…#


@pytest.fixture
async def service() -> AsyncIterator[ServiceHandle]:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    async with run_service(config) as svc:
        yield svc


@pytest.mark.parametrize("transport", ["header", "query", "subprotocol", "ticket"])
async def test_debug_log_holds_no_credential(
    service: ServiceHandle, transport: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = mint_token(SUB, key=LOCAL_DEV_SECRET, now=time.time())
    with caplog.at_level(logging.DEBUG, logger="websockets"):
        async with Session.connect(
            service.url, token=token, transport=transport, ping_every=None
        ) as session:
            assert session.auth is not None and session.auth.validated
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /" in text  # the handshake is logged ...
    assert token not in text and not JWT_LIKE.search(text)  # ... without the token
    if transport == "ticket":
        issued = [line for line in text.splitlines() if "ticket=" in line]
        assert issued and all("#" in line for line in issued), issued  # fingerprinted
