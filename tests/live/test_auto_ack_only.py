"""A run against the older generation's ``/ws/test`` (it acknowledges every request as a type it
does not handle and runs no agent, PROTOCOL.md §1 and §4) ends as soon as its own request is
acknowledged, with the reason, instead of waiting out its timeout; and ``auto`` does not wait for
a connection_established that endpoint never sends once per transport. Against the emulator on
a loopback port."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import ThreadedService
from netra_diag.live import RunOutcome, Session
from netra_diag.live.runner import ERROR_GRACE_S
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

RUN_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    with emulator() as svc:
        yield svc


def _echo_url(svc: ThreadedService) -> str:
    return svc.url.rsplit("/ws", 1)[0] + "/ws/test"


async def test_a_run_acknowledged_only_ends_without_waiting_out_its_timeout(
    service: ThreadedService,
) -> None:
    url = _echo_url(service)
    async with Session.connect(url, transport="none", establish_timeout=0.2) as session:
        began = time.monotonic()
        run = await session.run("hello", timeout=RUN_TIMEOUT_S)
        took = time.monotonic() - began
    assert run.outcome is RunOutcome.ERROR, run
    assert run.error is not None and "only acknowledged the user_message" in run.error
    assert "no agent will run" in run.error and "/ws/test" in run.error
    # The grace for an agent event after the ack, not the 20 s timeout.
    assert took < ERROR_GRACE_S + 5, took


async def test_an_ack_of_another_type_does_not_end_the_run(service: ThreadedService) -> None:
    # The main endpoint runs agents; an ack of something else the client sent must not stop
    # the run that follows (only the ack of the run's own request type says no agent runs).
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    async with Session.connect(service.url, token=token, transport="header") as session:
        await session.send_raw({"type": "no_such_type"})
        run = await session.run("hello", timeout=RUN_TIMEOUT_S)
    assert run.outcome is RunOutcome.COMPLETED, run.error


async def test_auto_stops_trying_transports_on_an_endpoint_that_never_says_who_we_are(
    service: ThreadedService,
) -> None:
    # /ws/test sends no connection_established whatever the transport: after one silent
    # establish timeout, three more would judge nothing either.
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    url = _echo_url(service)
    async with Session.connect(url, token=token, establish_timeout=0.3) as session:
        attempts = session.attempts
    assert [(a.transport, a.outcome) for a in attempts] == [("header", "unverified")]
    assert "auto tries no other transport" in attempts[0].detail


def test_probe_of_ws_test_says_why_and_returns_early(
    service: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    began = time.monotonic()
    # auto (the default): one silent establish timeout (5 s), not four, then the ack.
    argv = ["probe", _echo_url(service), "--sub", "u1", "--timeout", str(RUN_TIMEOUT_S)]
    code = main(argv)
    took = time.monotonic() - began
    out = capsys.readouterr().out
    assert "only acknowledged the user_message" in out and "/ws/test" in out, out
    assert "== run: error" in out and "auto tries no other transport" in out, out
    # A contract problem (no critical event will ever come), not a timeout.
    assert code == ExitCode.CONTRACT, out
    assert took < 10, took
