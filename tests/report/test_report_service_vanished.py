"""A service that goes away mid-run is an infrastructure failure in the live_session checks,
not an event-contract failure: "never completed" alone would send the engineer to the event
stream (exit 3) when the service was down (exit 9)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from netra_diag import investigation, report
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.events.contracts import check_run
from netra_diag.live import RunOutcome, Session
from netra_diag.report.summary import derive_headline
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# Slow enough that the service is gone long before the run could finish.
SLOW = TimingProfile(time_scale=2.0, tool_calls=(1, 2))


async def test_a_service_stopped_mid_run_is_infrastructure_not_contract() -> None:
    token = mint_token("vanish-user", key=LOCAL_DEV_SECRET, now=time.time())
    started = asyncio.Event()

    def on_frame(direction: str, timed: object) -> None:
        if direction == "in" and getattr(timed, "type", "") == "agent_started":
            started.set()

    async with contextlib.AsyncExitStack() as stack:
        svc = await stack.enter_async_context(
            run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=SLOW))
        )
        session = await Session.connect(svc.url, token=token, on_frame=on_frame)
        run = asyncio.create_task(session.run("why did it fail?", timeout=30))
        await asyncio.wait_for(started.wait(), 10)
        await stack.aclose()  # the service shuts down with the run in flight
        record = await asyncio.wait_for(run, 15)
        await session.close()

    assert record.outcome is RunOutcome.CLOSED
    contract = check_run(record.events)
    checks = investigation.session_checks(
        record=record, session=session, contract=contract, error=None, timeout=30
    )
    by_name = {c.name: c for c in checks}
    lost = by_name["stayed_connected"]
    assert not lost.passed
    assert lost.detail.startswith("the service closed the connection mid-run after 1 event")
    assert "1001 going away or startup timeout" in lost.detail
    # The cut-off run's missing agent_completed is the close's doing, not a verdict on the stream.
    assert by_name["contracts"].status == "not verified"
    assert report.exit_code_for(checks) is ExitCode.INFRASTRUCTURE
    assert derive_headline(checks).startswith("stayed_connected: the service closed")


def test_a_bad_run_timeout_is_bad_input_not_an_auth_failure(tmp_path: Path) -> None:
    # The notebook's panel declines the timeout and opens no session; the report once said
    # "auth: no auth verdict" and exited 3.
    for bad in ("-1", "nan", "0"):
        result = report.run_report(
            "live_session", {"run_timeout": bad}, out_dir=tmp_path / bad, html=False
        )
        assert result.exit_code is ExitCode.USAGE, result.headline
        assert "run_timeout must be a positive number of seconds" in result.headline


def test_no_session_opened_is_nothing_verified_not_a_failure() -> None:
    checks = investigation.session_checks(
        record=None, session=None, contract=check_run(()), error=None, timeout=5.0
    )
    assert [c.status for c in checks] == ["not verified"] * 3


async def test_a_1011_mid_run_is_the_service_failing_the_run_not_infrastructure() -> None:
    from netra_diag.emulator import FaultPlan

    token = mint_token("crash-user", key=LOCAL_DEV_SECRET, now=time.time())
    faults = FaultPlan.parse("close_1011_after_first_message")
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=SLOW, faults=faults)
    async with run_service(config) as svc:
        session = await Session.connect(svc.url, token=token)
        record = await session.run("why did it fail?", timeout=10)
        await session.close()
    assert record.outcome is RunOutcome.CLOSED and record.close is not None
    assert record.close.code == 1011
    checks = investigation.session_checks(
        record=record, session=session, contract=check_run(record.events), error=None, timeout=10
    )
    lost = {c.name: c for c in checks}["stayed_connected"]
    assert str(lost.kind) == "contract" and not lost.passed
    assert ": 1011 internal error" in lost.detail
    assert report.exit_code_for(checks) is ExitCode.CONTRACT
