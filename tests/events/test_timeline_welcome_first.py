"""The reader stamps the welcome (``connection_established``) when it arrives, the client writes
``upgrade_done`` when ``connect()`` returns: on ``/ws/factory`` the welcome is often stamped first.
Whatever the order of those two records, an attempt has one connect span, ``connect (HTTP 101)``
up to the upgrade, then *auth* up to the welcome (it had both ``connect/auth`` and ``connect (HTTP
101)``, and no auth). Against the emulator on a loopback port too."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from event_streams import timed
from timeouts import TIMEOUT_FACTOR

from netra_diag.cli import main
from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.emulator.config import AuthMode
from netra_diag.events.timeline import Mark, SpanKind, TimelineBuilder, build_timeline
from netra_diag.live.session import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

OK = {"transport": "header", "outcome": "validated", "server_user_id": "u1"}


def _session(welcome_t: float, upgrade_t: float) -> tuple[list[Any], list[Mark]]:
    events = timed([(welcome_t, {"type": "connection_established", "user_id": "u1"})])
    marks = [
        Mark("connect_start", 0.0, {"transport": "header", "attempt": 1}),
        Mark("upgrade_done", upgrade_t, {"status": 101}),
        Mark("connection_established", 0.0305, {"user_id": "u1"}),
        Mark("transport_attempt", 0.031, OK),
    ]
    return events, marks


def _connects(spans: Any) -> list[tuple[str, str, float, float]]:
    return [
        (str(s.kind), s.label, round(s.start, 4), round(s.end, 4))
        for s in spans
        if s.kind in (SpanKind.CONNECT, SpanKind.AUTH)
    ]


def test_a_welcome_stamped_after_the_upgrade_gives_connect_then_auth() -> None:
    spans = build_timeline(*_session(0.030, 0.027)).spans
    assert _connects(spans) == [
        ("connect", "connect (HTTP 101)", 0.0, 0.027),
        ("auth", "auth", 0.027, 0.030),
    ]


def test_a_welcome_stamped_before_the_upgrade_gives_one_connect_span() -> None:
    # The upgrade was complete by the time its welcome came in: auth took no visible time.
    spans = build_timeline(*_session(0.027, 0.030)).spans
    assert _connects(spans) == [
        ("connect", "connect (HTTP 101)", 0.0, 0.027),
        ("auth", "auth", 0.027, 0.027),
    ]
    auth = next(s for s in spans if s.kind is SpanKind.AUTH)
    assert auth.indices == (0,)  # the welcome frame


def test_fed_in_arrival_order_the_welcome_stamped_first_still_gives_one_span() -> None:
    # (the live builder: the mark handled first, then the frame the reader had stamped earlier)
    events, marks = _session(0.027, 0.030)
    builder = TimelineBuilder()
    for mark in marks[:2]:
        builder.add_mark(mark)
    builder.add(events[0])
    for mark in marks[2:]:
        builder.add_mark(mark)
    assert _connects(builder.finish().spans) == [
        ("connect", "connect (HTTP 101)", 0.0, 0.027),
        ("auth", "auth", 0.027, 0.027),
    ]


def test_without_any_upgrade_mark_the_welcome_closes_a_connect_auth_span() -> None:
    events, marks = _session(0.027, 0.030)
    spans = build_timeline(events, [m for m in marks if m.name != "upgrade_done"]).spans
    assert _connects(spans) == [("connect", "connect/auth", 0.0, 0.027)]


def test_the_kept_attempts_auth_starts_at_its_own_upgrade_not_a_refused_ones() -> None:
    refused = {"transport": "header", "outcome": "closed", "close_code": 1008}
    marks = [
        Mark("connect_start", 0.0, {"transport": "header", "attempt": 1}),
        Mark("upgrade_done", 0.01, {"status": 101}),
        Mark("transport_attempt", 0.021, refused),
        Mark("connect_start", 0.03, {"transport": "query", "attempt": 2}),
        Mark("upgrade_done", 0.046, {"status": 101}),
        Mark("transport_attempt", 0.051, {**OK, "transport": "query"}),
    ]
    welcome = timed([(0.045, {"type": "connection_established", "user_id": "u1"})])
    assert _connects(build_timeline(welcome, marks).spans) == [
        ("connect", "connect (refused): header closed 1008, after HTTP 101", 0.0, 0.01),
        ("connect", "connect (HTTP 101)", 0.03, 0.045),
        ("auth", "auth", 0.045, 0.045),
    ]


def test_a_reconnects_welcome_stamped_first_gives_it_one_connect_span_too() -> None:
    # (only a session's first welcome closes an auth span)
    events = timed(
        [
            (0.027, {"type": "connection_established", "user_id": "u1"}),
            (1.025, {"type": "connection_established", "user_id": "u1"}),
        ]
    )
    marks = [
        Mark("connect_start", 0.0),
        Mark("upgrade_done", 0.02, {"status": 101}),
        Mark("reconnect_attempt", 0.9),
        Mark("connect_start", 1.0),
        Mark("upgrade_done", 1.03, {"status": 101}),
    ]
    assert _connects(build_timeline(events, marks).spans) == [
        ("connect", "connect (HTTP 101)", 0.0, 0.02),
        ("auth", "auth", 0.02, 0.027),
        ("connect", "connect (HTTP 101)", 1.0, 1.025),
    ]


def test_a_refused_upgrade_ends_at_its_first_frame_when_that_came_before_the_mark() -> None:
    # The AUTH_FAILED frame proves the upgrade was done by then, as the latency phases say.
    error = {"type": "error", "error_code": "AUTH_FAILED", "message": "Authentication failed"}
    refused = {"transport": "header", "outcome": "closed", "close_code": 1008}
    marks = [
        Mark("connect_start", 0.0, {"transport": "header", "attempt": 1}),
        Mark("upgrade_done", 0.01, {"status": 101}),
        Mark("transport_attempt", 0.021, refused),
    ]
    spans = build_timeline(timed([(0.008, error)]), marks).spans
    assert _connects(spans) == [
        ("connect", "connect (refused): header closed 1008, after HTTP 101", 0.0, 0.008)
    ]


async def _record_factory(path: Path) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile(time_scale=0.02))
    async with (
        run_service(config) as svc,
        Session.connect(svc.ws_url("/ws/factory"), token=token, record=path) as session,
    ):
        assert (await session.run("hello", timeout=10 * TIMEOUT_FACTOR)).ok


def _welcome_before_upgrade(path: Path) -> None:
    """Rewrite a recording so its welcome frame is stamped 0.3 ms before ``upgrade_done``, as
    the reader did in one of two ``/ws/factory`` runs."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    upgrade = next(r for r in records if r.get("name") == "upgrade_done")
    welcome = next(r for r in records if r.get("type") == "connection_established")
    welcome["t_ns"] = upgrade["t_ns"] - 300_000
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


@pytest.mark.parametrize("welcome_first", [False, True], ids=["as-recorded", "welcome-first"])
async def test_trace_of_a_factory_session_has_one_connect_slice(
    welcome_first: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "factory.jsonl"
    await _record_factory(cassette)
    if welcome_first:
        _welcome_before_upgrade(cassette)
    out = tmp_path / "trace.json"
    assert main(["trace", str(cassette), "-o", str(out)]) == 0, capsys.readouterr().out
    trace = json.loads(out.read_text())["traceEvents"]
    slices = [e for e in trace if e.get("cat") in ("connect", "auth") and e.get("ph") == "X"]
    assert [(e["name"], e["args"]["label"]) for e in slices] == [
        ("connect", "connect (HTTP 101)"),
        ("auth", "auth"),
    ]
    connect, auth = slices
    assert connect["ts"] + connect["dur"] == pytest.approx(auth["ts"])
