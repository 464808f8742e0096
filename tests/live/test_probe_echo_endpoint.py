"""The older generation's ``/ws/test`` sends no ``connection_established`` and runs no agent
(PROTOCOL.md §1): a session there does not wait its establish timeout for one, a run there ends
at the ``ack`` of its request, and ``probe`` says what it did and did not see. The main endpoint
still waits for ``connection_established``. Against the emulator on a loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from live_kit import emulator, probe_json
from timeouts import scaled

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import ThreadedService
from netra_diag.endpoints import endpoint_protocol
from netra_diag.live import RunOutcome, Session
from netra_diag.live.runner import ERROR_GRACE_S
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# Far longer than anything here should take: waiting it out is the bug.
ESTABLISH_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    with emulator() as svc:
        yield svc


def _echo_url(svc: ThreadedService) -> str:
    return svc.url.rsplit("/ws", 1)[0] + "/ws/test"


def test_the_endpoints_are_told_apart_by_path() -> None:
    echo = endpoint_protocol("wss://staging.example/ws/test?token=x")
    assert echo.known and not (echo.sends_established or echo.authenticates or echo.runs_agents)
    # Mounted under a prefix, or with a trailing slash: still the echo endpoint.
    assert not endpoint_protocol("ws://h/api/ws/test/").sends_established
    for path in ("/ws", "/api/v1/websocket", "/ws/factory", "/ws/isolated"):
        main = endpoint_protocol(f"ws://h{path}")
        assert main.known and main.sends_established and main.runs_agents, path
    other = endpoint_protocol("ws://h/ws/testing")
    assert not other.known and other.sends_established


async def test_a_session_on_the_echo_endpoint_does_not_wait_for_connection_established(
    service: ThreadedService,
) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    began = time.monotonic()
    async with Session.connect(
        _echo_url(service), token=token, transport="header", establish_timeout=ESTABLISH_TIMEOUT_S
    ) as session:
        opened = time.monotonic() - began
        run = await session.run("hello", timeout=ESTABLISH_TIMEOUT_S)
        names = [m.name for m in session.marks]
        auth = session.auth
    assert opened < scaled(5), opened
    assert "establish_not_expected" in names and "establish_timeout" not in names, names
    assert "connection_established" not in names
    # Nothing was checked there: said, not guessed from a missing user id.
    assert auth.validated is None and not auth.bypass
    assert "checks no credentials" in auth.reason and "/ws/test" in auth.reason
    # No agent ever runs there: the ack of the request ends the run, with no grace after it.
    assert run.outcome is RunOutcome.ERROR and run.error and "no agent will run" in run.error
    assert run.duration_s < ERROR_GRACE_S, run.duration_s


async def test_the_main_endpoint_still_waits_for_connection_established(
    service: ThreadedService,
) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    async with Session.connect(service.url, token=token, transport="header") as session:
        names = [m.name for m in session.marks]
        assert session.auth.validated is True
    assert "connection_established" in names and "establish_not_expected" not in names


def test_probe_of_the_echo_endpoint_ends_at_the_ack(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    # auto (the default), a token minted for u1, the probe's own 5 s establish timeout.
    began = time.monotonic()
    code, doc = probe_json(capsys, _echo_url(service), "--sub", "u1")
    took = time.monotonic() - began
    assert code == ExitCode.CONTRACT, doc
    [attempt] = doc["handshake"]["attempts"]
    # The old probe spent its whole 5 s establish timeout in this attempt, then 0.5 s more
    # after the ack.
    assert attempt["duration_s"] < 1, attempt
    assert doc["run"]["duration_s"] < ERROR_GRACE_S, doc["run"]
    assert took < scaled(5), took
    assert "checks no credentials" in doc["auth"]["reason"]
