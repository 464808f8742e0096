"""A replay serves the recorded server timestamps: the event latency measured against it is the
age of the recording, not the service's latency. ``sla check`` must say so (not verified, with
the reason) rather than report a breach."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from timeouts import TIMEOUT_FACTOR, scaled

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.latency import CheckStatus, compare_latency, evaluate_sla, load_sla, phase_metrics
from netra_diag.live.replay import serve_cassette
from netra_diag.live.session import Session
from netra_diag.recording import load_frames
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


async def test_event_latency_of_a_replay_is_not_verified(tmp_path: Path) -> None:
    original, copy = tmp_path / "original.jsonl", tmp_path / "replay.jsonl"
    timing = TimingProfile(time_scale=0.05, thinking_steps=(2, 3), tool_calls=(1, 2))
    async with (
        run_service(EmulatorConfig(timing=timing)) as svc,
        Session.connect(svc.url, token=token, record=original) as session,
    ):
        await session.run("original", timeout=10 * TIMEOUT_FACTOR)
    # The replay's timestamps are at least this old when its events arrive.
    await asyncio.sleep(scaled(0.5))
    async with (
        serve_cassette(original) as rs,
        Session.connect(rs.url, token=token, record=copy) as session,
    ):
        await session.run("replayed", timeout=10 * TIMEOUT_FACTOR)

    service = load_sla("service")
    live = phase_metrics(load_frames([original]))
    replayed = phase_metrics(load_frames([copy]))
    skew = replayed.loc[replayed["phase"] == "event_latency", "clock_skew_ms"]
    assert len(skew) and (skew > 400).all()  # the replay proves the clocks disagree …
    live_skew = live.loc[live["phase"] == "event_latency", "clock_skew_ms"]
    assert len(live_skew) and (live_skew < 5).all()  # … the live session on loopback does not

    by_id = {r.check.id: r for r in evaluate_sla(service, replayed).results}
    for check in ("event-latency-p95", "event-latency-max"):
        result = by_id[check]
        assert result.status is CheckStatus.NO_DATA, result  # was FAIL ("BREACH … 63.08 s")
        assert result.note.startswith("not verified: ")
        assert "the server's clock and the client's disagree by at least" in result.note
    report = evaluate_sla(service, replayed)
    assert not report.breached or all(r.check.phase != "event_latency" for r in report.failures)
    assert "because the server's and client's clocks disagree" in report.headline
    # The live recording's event latency is measured as before.
    assert {r.check.id: r for r in evaluate_sla(service, live).results}[
        "event-latency-max"
    ].status is CheckStatus.PASS
    # Compared with the live recording, the replay's event latency is left out, not a regression.
    row = next(r for r in compare_latency(live, replayed).rows if r.key[0] == "event_latency")
    assert str(row.verdict) != "regression" and "clocks disagree by at least" in row.note
