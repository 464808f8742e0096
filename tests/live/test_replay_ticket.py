"""Replay of sessions on the ticket transport (PROTOCOL.md §2 item 3): the replay answers
``POST /api/websocket/ticket`` as the recorded ticket requests were answered (a fresh single-use
ticket for each one issued, the recorded refusal for one refused) and accepts its own tickets,
once each, on the upgrade. Recorded against the real embedded service on loopback port 0."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import pytest
from test_replay import offsets  # the same anchoring as the other round trips
from test_replay_connections import replay_cli
from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    ServiceHandle,
    TimingProfile,
    run_service,
    start_in_thread,
)
from netra_diag.live import RunOutcome, Session
from netra_diag.live.replay import load_plan, serve_cassette
from netra_diag.live.ticket import TicketRejected, request_ticket, url_with_ticket
from netra_diag.recording import load_cassette
from netra_diag.recording_format import MarkRecord, expand_secrets
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")
TIMING = TimingProfile(time_scale=0.05, thinking_steps=(2, 3), tool_calls=(1, 2))


def token(key: str = LOCAL_DEV_SECRET) -> str:
    return mint_token("u1", key=key, now=time.time())


def redeemed(svc: ServiceHandle) -> frozenset[str]:
    return svc._service.auth.tickets.redeemed()


def assert_no_secret(text: str, *secrets: str) -> None:
    assert not JWT_LIKE.search(text), JWT_LIKE.search(text)
    for secret in expand_secrets(secrets):
        assert secret not in text


def ticket_marks(path: Path) -> list[MarkRecord]:
    names = ("ticket_issued", "ticket_rejected")
    return [m for m in load_cassette(path).marks if m.name in names]


def frame_order(path: Path) -> list[str]:
    return [t for t, _ in offsets(path)]


async def record_ticket_session(path: Path, *, reconnect: bool = False) -> frozenset[str]:
    """A session on the ticket transport against the service; returns the tickets it used."""
    async with (
        run_service(EmulatorConfig(timing=TIMING)) as svc,
        Session.connect(svc.url, token=token, transport="ticket", record=path) as session,
    ):
        await session.run("original request", timeout=10 * TIMEOUT_FACTOR)
        if reconnect:
            await session.reconnect()
            await session.run("after reconnect", timeout=10 * TIMEOUT_FACTOR)
        return redeemed(svc)


async def test_a_ticket_session_replays_with_the_ticket_transport(tmp_path: Path) -> None:
    original, copy = tmp_path / "original.jsonl", tmp_path / "replay.jsonl"
    used = await record_ticket_session(original)
    assert len(used) == 1
    # The cassette says a ticket was issued, never which one.
    assert [m.name for m in ticket_marks(original)] == ["ticket_issued"]
    assert_no_secret(original.read_text(), *used)
    plan = load_plan(original)
    assert [t.answer for t in plan.tickets] == ["issue"] and plan.n_connections == 1

    async with serve_cassette(original, repeat=False) as rs:
        async with Session.connect(rs.url, token=token, transport="ticket", record=copy) as s:
            run = await s.run("replayed request", timeout=10 * TIMEOUT_FACTOR)
            assert run.outcome is RunOutcome.COMPLETED
            assert s.transport == "ticket" and s.auth.validated
        await asyncio.wait_for(rs.wait_played(), 5 * TIMEOUT_FACTOR)
        assert rs.played
        answers, replay_tickets = list(rs.tickets.answers), rs.tickets.redeemed()
    assert frame_order(copy) == frame_order(original)
    assert len(frame_order(original)) >= 7  # connection_established and a whole run
    assert answers == ["issued a fresh ticket (HTTP 200, valid 60 s)"]
    assert len(replay_tickets) == 1 and not replay_tickets & used  # fresh, not the recorded one
    (issued,) = ticket_marks(copy)
    assert issued.data["status"] == 200 and issued.data["ttl_seconds"] == 60
    assert issued.data["websocket_url_same_origin"] is True
    assert_no_secret(copy.read_text(), *replay_tickets)


def with_request_ms(original: Path, copy: Path, request_ms: float) -> None:
    """``original`` with its recorded ticket request taking ``request_ms`` (a slow endpoint)."""
    lines = []
    for line in original.read_text().splitlines():
        record = json.loads(line)
        if record.get("name") == "ticket_issued":
            record["data"]["request_ms"] = request_ms
            line = json.dumps(record)
        lines.append(line)
    copy.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("speed", [1.0, 4.0])
async def test_a_ticket_is_answered_after_as_long_as_the_recorded_request_took(
    tmp_path: Path, speed: float
) -> None:
    recorded, slow = tmp_path / "recorded.jsonl", tmp_path / "slow.jsonl"
    await record_ticket_session(recorded)
    with_request_ms(recorded, slow, 400.0)
    (ticket_plan,) = load_plan(slow).tickets
    assert ticket_plan.request_s == pytest.approx(0.4)
    assert "after 400.0 ms" in ticket_plan.describe()
    async with serve_cassette(slow, repeat=False, speed=speed) as rs:
        started = time.monotonic()
        await request_ticket(rs.url, token(), open_timeout=10 * TIMEOUT_FACTOR)
        took = time.monotonic() - started
    # (only a lower bound: a busy machine may answer later, never earlier)
    assert took >= 0.4 / speed - 0.002, took
    if speed > 1:
        assert took < 0.1 + 0.25 * TIMEOUT_FACTOR, took  # scaled, not the recorded 400 ms


async def test_each_ticket_is_fresh_and_single_use(tmp_path: Path) -> None:
    original, copy = tmp_path / "original.jsonl", tmp_path / "replay.jsonl"
    await record_ticket_session(original, reconnect=True)
    assert load_plan(original).n_tickets == 2
    async with serve_cassette(original, repeat=False) as rs:
        async with Session.connect(rs.url, token=token, transport="ticket", record=copy) as s:
            await s.run("replayed request", timeout=10 * TIMEOUT_FACTOR)
            await s.reconnect()  # a second ticket, from the second recorded request
            await s.run("after reconnect", timeout=10 * TIMEOUT_FACTOR)
        used = sorted(rs.tickets.redeemed())
        assert len(used) == 2
        with pytest.raises(InvalidStatus) as reused:
            async with connect(url_with_ticket(rs.url, used[0])):
                pass
        with pytest.raises(TicketRejected) as beyond:
            await request_ticket(rs.url, token(), open_timeout=5 * TIMEOUT_FACTOR)
    assert reused.value.response.status_code == 403
    assert b"already used" in reused.value.response.body
    assert rs.tickets.refused_upgrades == 1
    assert beyond.value.status == 503 and "held 2 ticket requests" in beyond.value.body
    assert len(rs.outcomes) == 2  # neither refusal used up a recorded connection
    assert frame_order(copy) == frame_order(original)


async def test_a_refused_ticket_request_replays_as_that_refusal(tmp_path: Path) -> None:
    original, copy = tmp_path / "original.jsonl", tmp_path / "replay.jsonl"
    wrong = token(LOCAL_DEV_SECRET + "-not-the-secret")
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=TIMING)) as svc:
        with pytest.raises(TicketRejected) as recorded:
            await Session.connect(svc.url, token=wrong, transport="ticket", record=original)
    plan = load_plan(original)
    assert plan.n_connections == 0  # refused before any upgrade was attempted
    assert [(t.answer, t.status) for t in plan.tickets] == [("reject", 401)]
    async with serve_cassette(original, repeat=False) as rs:
        with pytest.raises(TicketRejected) as replayed:
            await Session.connect(rs.url, token=token, transport="ticket", record=copy)
        assert rs.played
        with pytest.raises(InvalidStatus) as upgrade:
            async with connect(rs.url):
                pass
    assert (replayed.value.status, replayed.value.body) == (401, recorded.value.body)
    assert upgrade.value.response.status_code == 503
    assert b"held 0 connections" in upgrade.value.response.body
    assert [m.name for m in ticket_marks(copy)] == ["ticket_rejected"]


async def test_cli_records_a_ticket_probe_replays_it_and_probes_the_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original, copy = tmp_path / "probe.jsonl", tmp_path / "replay.jsonl"
    monkeypatch.setenv("NETRA_TEST_TICKET_TOKEN", token())
    probe = ["probe", "--transport", "ticket", "--token-env", "NETRA_TEST_TICKET_TOKEN"]
    with start_in_thread(EmulatorConfig(timing=TIMING)) as svc:
        code = await asyncio.to_thread(
            main, [*probe[:1], svc.url, *probe[1:], "--record", str(original)]
        )
    assert code == ExitCode.OK, capsys.readouterr().out
    async with (
        asyncio.timeout(30 * TIMEOUT_FACTOR),
        replay_cli(original, "--linger", "0") as (proc, head, url),
    ):
        assert proc.stdout is not None
        code = await asyncio.to_thread(main, [*probe[:1], url, *probe[1:], "--record", str(copy)])
        assert code == ExitCode.OK, capsys.readouterr().out
        rest = (await proc.stdout.read()).decode()
        assert await proc.wait() == 0
    assert "ticket request 1: issues a fresh single-use ticket" in "".join(head)
    assert "ticket request 1: issued a fresh ticket (HTTP 200" in rest
    assert "replay 1 (recorded connection 1/1)" in rest
    assert frame_order(copy) == frame_order(original)
    marks = [json.dumps(m.data) for m in ticket_marks(copy)]
    assert len(marks) == 1 and "ticket_id" not in marks[0]
