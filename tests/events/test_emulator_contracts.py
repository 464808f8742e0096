"""Cassettes recorded from the embedded service, one injected fault at a time: the contract report
names the fault, run by run (the service's own fault log says which event was hit)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from timeouts import scaled

from netra_diag.emulator import (
    AuthMode,
    EmulatorConfig,
    Fault,
    InjectedFault,
    ServiceHandle,
    TimingProfile,
    run_service,
)
from netra_diag.errors import SessionClosed
from netra_diag.events.contracts import (
    ContractConfig,
    ContractReport,
    Finding,
    Rule,
    Severity,
    check_run,
)
from netra_diag.events.sources import CassetteStream, load_cassette_stream
from netra_diag.events.timeline import SpanKind, StallCause, TimelineConfig, build_timeline
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# One thinking step and one tool call per run: every event of the script is then the only one of
# its kind, so losing or moving any of them is visible in the types alone.
SCRIPT = TimingProfile.instant(thinking_steps=(1, 1), tool_calls=(1, 1))


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=SCRIPT, idle_heartbeat_s=0.25)
    async with run_service(config) as handle:
        yield handle


def token(user: str = "user-1") -> str:
    return mint_token(user, key=LOCAL_DEV_SECRET, now=time.time())


async def record(
    svc: ServiceHandle,
    path: Path,
    faults: str,
    *,
    runs: int = 1,
    run_timeout: float = 1.0,
    ping_every: float | None = None,
    envelope: str = "a",
    **query: str,
) -> CassetteStream:
    url = svc.ws_url("/ws", faults=faults, envelope=envelope, **{"time_scale": "0", **query})
    async with Session.connect(url, token=token(), record=path, ping_every=ping_every) as session:
        for i in range(runs):
            await session.run(f"request {i}", timeout=scaled(run_timeout))
    return load_cassette_stream(path)


def injected(svc: ServiceHandle, fault: Fault) -> list[InjectedFault]:
    return [item for item in svc.fault_log if item.fault is fault]


def of_run(report: ContractReport, item: InjectedFault) -> list[Finding]:
    return [f for f in report.findings if f.run is not None and f.run.run_id == item.run_id]


@pytest.mark.parametrize("envelope", ["a", "b", "c", "d", "e", "mixed"])
async def test_clean_runs_pass_in_every_envelope(
    svc: ServiceHandle, tmp_path: Path, envelope: str
) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "", runs=2, envelope=envelope)
    report = check_run(stream.events, context=stream.context())
    assert report.ok and report.findings == (), report.verdict
    assert len(report.runs) == 2


# What losing each event of the script looks like.
DROPPED = {
    "agent_started": (Rule.MISSING_EVENT, "never sent agent_started"),
    "agent_thinking": (Rule.MISSING_EVENT, "never sent agent_thinking"),
    "tool_executing": (Rule.ORPHAN_TOOL_COMPLETED, "has no matching tool_executing"),
    "tool_completed": (Rule.UNFINISHED_TOOL, "never completed"),
    "agent_completed": (Rule.NO_TERMINAL, "never completed (no agent_completed"),
}


async def test_drop_event(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "drop_event", runs=6, run_timeout=0.6)
    report = check_run(stream.events, context=stream.context())
    items = injected(svc, Fault.DROP_EVENT)
    assert len(items) == 6
    for item in items:
        rule, words = DROPPED[str(item.event_type)]
        assert any(f.rule is rule and words in f.message for f in of_run(report, item)), (
            item,
            report.findings,
        )
    assert not report.ok


# What swapping each adjacent pair of the script looks like (first, second as the script has them).
SWAPPED = {
    ("agent_started", "agent_thinking"): Rule.START_NOT_FIRST,
    ("agent_thinking", "tool_executing"): Rule.OUT_OF_ORDER,
    ("tool_executing", "tool_completed"): Rule.OUT_OF_ORDER,
    ("tool_completed", "agent_completed"): Rule.EVENT_AFTER_TERMINAL,
}


async def test_reorder(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "reorder", runs=6)
    report = check_run(stream.events, context=stream.context())
    for item in injected(svc, Fault.REORDER):
        match = re.fullmatch(r"(\w+) #\d+ sent before (\w+) #\d+", item.detail)
        assert match is not None, item.detail
        rule = SWAPPED[(match.group(2), match.group(1))]
        assert any(f.rule is rule for f in of_run(report, item)), (item, report.findings)


async def test_duplicate_event(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "duplicate_event", runs=3)
    report = check_run(stream.events, context=stream.context())
    for item in injected(svc, Fault.DUPLICATE_EVENT):
        (finding,) = of_run(report, item)  # one resend, one finding
        assert finding.rule is Rule.DUPLICATE_EVENT
        assert finding.message.startswith(f"{item.event_type}")


async def test_stall_is_a_gap_and_a_server_stall(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(
        svc, tmp_path / "c.jsonl", "stall", run_timeout=3.0, ping_every=0.05, stall_s="0.6"
    )
    (item,) = injected(svc, Fault.STALL)
    config = ContractConfig(max_gap_s=0.4, max_first_event_s=0.4)
    report = check_run(stream.events, context=stream.context(config))
    if item.event_type == "agent_started":  # held before the run began: a slow first event
        (gap,) = report.by_rule(Rule.SLOW_FIRST_EVENT)
        assert "first event (agent_started at +0." in gap.message
    else:
        (gap,) = report.by_rule(Rule.GAP_TOO_LONG)
        assert "went silent for 0." in gap.message
    assert gap.run is not None and gap.run.run_id == item.run_id
    timeline = build_timeline(
        stream.events, stream.marks, config=TimelineConfig(stall_threshold_s=0.4)
    )
    (stall,) = [s for s in timeline.spans if s.kind is SpanKind.STALL]
    # Pings were answered on time all along: the connection was fine, the server held back.
    assert stall.cause is StallCause.SERVER, stall.detail
    assert stall.duration >= 0.5


async def test_disconnect_mid_run(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "disconnect_mid_run")
    report = check_run(stream.events, context=stream.context())
    assert report.verdict.startswith("FAIL: run ")
    assert "never completed" in report.verdict and "connection closed 1006" in report.verdict
    (closed,) = report.by_rule(Rule.CONNECTION_CLOSED)
    assert "1006" in closed.message and "without a close frame" in closed.message


async def test_malformed_frame(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "malformed_frame")
    report = check_run(stream.events, context=stream.context())
    (finding,) = report.findings
    assert finding.rule is Rule.INVALID_FRAME and "not valid JSON" in finding.message


async def test_unknown_event_type(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "unknown_event_type")
    report = check_run(stream.events, context=stream.context())
    (finding,) = report.findings
    assert finding.rule is Rule.UNKNOWN_FRAME and "'agent_telemetry_snapshot'" in finding.message
    assert report.ok  # a new event type is news, not a failure


async def test_oversized_frame(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "oversized_frame")
    report = check_run(stream.events, context=stream.context())
    (finding,) = report.by_rule(Rule.OVERSIZED_FRAME)
    assert (
        finding.message.startswith("partial_result at +") and "max_message_size" in finding.message
    )


async def test_reject_auth(svc: ServiceHandle, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    url = svc.ws_url("/ws", faults="reject_auth")
    with pytest.raises(SessionClosed):
        await Session.connect(url, token=token(), transport="subprotocol", record=path)
    stream = load_cassette_stream(path)
    report = check_run(stream.events, context=stream.context())
    assert report.verdict.startswith("FAIL: connection closed at +")
    assert "1008" in report.verdict
    (error,) = report.by_rule(Rule.ERROR_FRAME)
    assert error.message.startswith("error_message AUTH_FAILED at +")


async def test_close_1011_after_first_message(svc: ServiceHandle, tmp_path: Path) -> None:
    stream = await record(svc, tmp_path / "c.jsonl", "close_1011_after_first_message")
    report = check_run(stream.events, context=stream.context())
    (closed,) = report.by_rule(Rule.CONNECTION_CLOSED)
    assert "1011 internal error" in closed.message
    assert not report.ok


async def _idle(svc: ServiceHandle, path: Path, faults: str) -> CassetteStream:
    url = svc.ws_url("/ws", faults=faults)
    async with Session.connect(url, token=token(), record=path, ping_every=None):
        await asyncio.sleep(scaled(1.0))
    return load_cassette_stream(path)


async def test_stop_heartbeats(svc: ServiceHandle, tmp_path: Path) -> None:
    quick = ContractConfig(heartbeat_interval_s=0.25, heartbeat_grace_s=0.35)
    beating = await _idle(svc, tmp_path / "a.jsonl", "")
    assert "heartbeat" in {te.type for te in beating.events}
    report = check_run(beating.events, context=beating.context(quick))
    assert not report.by_rule(Rule.HEARTBEAT_MISSING)
    silent = await _idle(svc, tmp_path / "b.jsonl", "stop_heartbeats")
    assert injected(svc, Fault.STOP_HEARTBEATS)
    report = check_run(silent.events, context=silent.context(quick))
    (finding,) = report.by_rule(Rule.HEARTBEAT_MISSING)
    assert finding.severity is Severity.WARNING and "heartbeats every 0.25 s" in finding.message


async def test_leak_other_user(svc: ServiceHandle, tmp_path: Path) -> None:
    url = svc.ws_url("/ws", time_scale="0")
    leaky = svc.ws_url("/ws", faults="leak_other_user", time_scale="0")
    victim_path = tmp_path / "victim.jsonl"
    async with Session.connect(
        url, token=token("user-2"), record=victim_path, ping_every=None
    ) as victim:
        async with Session.connect(leaky, token=token("user-1"), ping_every=None) as owner:
            await owner.run("mine", timeout=scaled(2.0))
        await asyncio.sleep(scaled(0.05))
        del victim
    (item,) = injected(svc, Fault.LEAK_OTHER_USER)
    stream = load_cassette_stream(victim_path)
    report = check_run(stream.events, context=stream.context())
    (finding,) = report.by_rule(Rule.FOREIGN_EVENT)
    assert finding.message.startswith(f"{item.event_type}")
    assert "carries user_id 'user-1', not this session's 'user-2'" in finding.message
