"""Auth → agent flow against the service (PROTOCOL.md §10, second row): four passes, and two tests
still calling the shared token helper by the keyword it had before its rename (§9.1).

The service is the embedded reference service with strict auth on a loopback port, its agent
stalled after ``agent_started`` as everywhere that night; every passing test authenticates one
way or another and then sees the agent start.
"""

# mypy: disable-error-code="call-arg"
# (the calls with the helper's old keyword are the failures this suite shows)

from __future__ import annotations

import asyncio
import json
import os
import secrets
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from netra_diag.emulator import AuthMode, EmulatorConfig, ServiceHandle, TimingProfile, run_service
from netra_diag.errors import SessionClosed
from netra_diag.live import Session
from netra_diag.tokens import mint_token, verify_token

# make_results.py passes a fresh secret so that it can check the output never holds it.
SECRET = os.environ.get("JWT_SECRET_KEY") or secrets.token_urlsafe(32)
# agent_started after 100 ms, then a first reasoning step that takes ten minutes.
STALLED_AGENT = TimingProfile(
    time_scale=0.0, fixed_delays_ms={"first_event": 100.0, "think": 600_000.0}
)
OpenSession = Callable[..., Awaitable[Session]]


def create_real_jwt_token(user_id: str, *, expires_in: int = 900) -> str:
    """The shared auth test helper, after ``expires_in_seconds`` was renamed ``expires_in``."""
    return mint_token(user_id, key=SECRET, now=time.time(), expires_in=expires_in)


def request_ticket(service: ServiceHandle, token: str) -> dict[str, Any]:
    """``POST /api/websocket/ticket`` with the token as Bearer (PROTOCOL.md §2 step 3)."""
    request = urllib.request.Request(
        f"{service.http_base}/api/websocket/ticket",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body: dict[str, Any] = json.loads(response.read())
    return body


async def agent_starts(session: Session) -> bool:
    await session.send_user_message("Summarise yesterday's cost anomalies")
    async with asyncio.timeout(5):
        async for event in session:
            if event.type == "agent_started":
                return True
    return False


@pytest.fixture
async def service() -> AsyncIterator[ServiceHandle]:
    config = EmulatorConfig(auth=AuthMode.STRICT, secret=SECRET, timing=STALLED_AGENT)
    async with run_service(config) as running:
        yield running


class TestAuthAgentFlow:
    async def test_login_returns_access_token(
        self, service: ServiceHandle, netra_session: OpenSession
    ) -> None:
        token = create_real_jwt_token("user-login-01")
        session = await netra_session(service.url, token=token, transport="ticket", ping_every=None)
        assert session.auth.validated, session.auth.reason
        assert await agent_starts(session)

    async def test_token_refresh_flow(
        self, service: ServiceHandle, netra_session: OpenSession
    ) -> None:
        user_id = "user-refresh-02"
        token = create_real_jwt_token(user_id, expires_in_seconds=1)
        session = await netra_session(service.url, token=token, transport="header")
        await asyncio.sleep(1.5)
        refreshed = create_real_jwt_token(user_id, expires_in_seconds=900)
        await session.close()
        session = await netra_session(service.url, token=refreshed, transport="header")
        assert session.auth.validated, session.auth.reason

    async def test_agent_request_with_valid_token(
        self, service: ServiceHandle, netra_session: OpenSession
    ) -> None:
        token = create_real_jwt_token("user-agent-03")
        session = await netra_session(service.url, token=token, transport="header", ping_every=None)
        await session.send_agent_request("triage", "Which service grew its costs the most?")
        async with asyncio.timeout(5):
            started = await anext(e async for e in session if e.type == "agent_started")
        assert started.event.fields.get("user_id") == "user-agent-03"

    async def test_expired_token_rejected(
        self, service: ServiceHandle, netra_session: OpenSession
    ) -> None:
        token = create_real_jwt_token("user-expired-04", expires_in_seconds=-60)
        with pytest.raises(SessionClosed) as closed:
            await netra_session(service.url, token=token, transport="header")
        assert closed.value.code == 1008

    async def test_token_claims_match_protocol(
        self, service: ServiceHandle, netra_session: OpenSession
    ) -> None:
        token = create_real_jwt_token("user-claims-05")
        result = verify_token(token, SECRET, now=time.time(), profile="local")
        assert result.ok, [f.message for f in result.failures]
        assert result.claims["token_type"] == "access"
        assert result.claims["iss"] == "netra-auth-service"
        session = await netra_session(
            service.url, token=token, transport="subprotocol", ping_every=None
        )
        assert session.auth.validated, session.auth.reason
        assert await agent_starts(session)

    async def test_logout_revokes_session(
        self, service: ServiceHandle, netra_session: OpenSession
    ) -> None:
        token = create_real_jwt_token("user-logout-06")
        ticket = await asyncio.to_thread(request_ticket, service, token)
        url = f"{service.url}?ticket={ticket['ticket_id']}"
        session = await netra_session(url, token=None, transport="none", ping_every=None)
        assert await agent_starts(session)
        await session.close()  # logging out ends the session its ticket opened
        async with connect(url, open_timeout=5) as ws:
            with pytest.raises(ConnectionClosedError) as closed:
                while True:  # the refusal's error frame comes first, then the close
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
