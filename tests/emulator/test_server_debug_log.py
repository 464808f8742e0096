"""With websockets' debug logging on, the reference service's and the replay's logs show each
handshake but never a credential: not the bearer token of a ticket request, not a ticket in a
request line (PROTOCOL.md §2 item 3). Both run on loopback port 0."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.live import Session
from netra_diag.live.replay import serve_cassette
from netra_diag.redaction import scrub
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")  # a fingerprint is eyJ…#
# A ticket in a request line must be a fingerprint ("…#0123abcd") or "<secret …>".
TICKET_SHOWN = re.compile(r"ticket=([^&\s]*)")
FINGERPRINT = re.compile(r"(?:<secret )?[^&\s]{0,3}…#[0-9a-f]{8}>?")


def token() -> str:
    return mint_token("user-server-log", key=LOCAL_DEV_SECRET, now=time.time())


def assert_no_credential(text: str) -> None:
    assert "GET /" in text and "POST /api/websocket/ticket" in text  # the handshake is logged
    assert not JWT_LIKE.search(text), JWT_LIKE.search(text)
    shown = TICKET_SHOWN.findall(text)
    assert shown, "no ticket request line was logged"
    assert all(FINGERPRINT.fullmatch(value) for value in shown), shown


def debug_text(caplog: pytest.LogCaptureFixture, logger: str) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(logger))


async def test_the_service_log_holds_no_token_or_ticket(caplog: pytest.LogCaptureFixture) -> None:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    with caplog.at_level(logging.DEBUG, logger="netra_diag.emulator"):
        async with (
            run_service(config) as svc,
            Session.connect(svc.url, token=token, transport="ticket", ping_every=None) as s,
        ):
            await s.run("hello", timeout=10 * TIMEOUT_FACTOR)
    assert_no_credential(debug_text(caplog, "netra_diag.emulator.websockets"))


async def test_the_replay_log_holds_no_token_or_ticket(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cassette = tmp_path / "ticket.jsonl"
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    async with (
        run_service(config) as svc,
        Session.connect(svc.url, token=token, transport="ticket", record=cassette) as s,
    ):
        await s.run("hello", timeout=10 * TIMEOUT_FACTOR)
    with caplog.at_level(logging.DEBUG, logger="netra_diag.replay"):
        async with (
            serve_cassette(cassette, port=0) as rs,
            Session.connect(rs.url, token=token, transport="ticket", ping_every=None) as s,
        ):
            await s.run("hello", timeout=10 * TIMEOUT_FACTOR)
    assert_no_credential(debug_text(caplog, "netra_diag.replay.websockets"))


def test_scrubbing_a_ticket_twice_changes_nothing() -> None:
    line = "GET /ws?ticket=3tQcKNuPbS33Jg1jLbmbwe7I9t1kTdKP&x=1 HTTP/1.1"
    once = scrub(line)
    assert "3tQcKNuPbS33Jg1jLbmbwe7I9t1kTdKP" not in once and "x=1" in once
    assert scrub(once) == once
    assert scrub(line, ["3tQcKNuPbS33Jg1jLbmbwe7I9t1kTdKP"]) == once
