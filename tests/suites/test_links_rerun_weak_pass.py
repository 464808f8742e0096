"""A test that passed on its second attempt: the first attempt's recording broke the event
contract, which is why it failed; it is no sign that the pass proves little."""

from __future__ import annotations

from pathlib import Path

from links_kit import run_suite
from test_links_reruns import RERUN_STAND_IN

from netra_diag.suites import VacuousKind, triage

FIRST_ATTEMPT_DROPS = """
from pathlib import Path

import pytest
import pytest_asyncio

from netra_diag.emulator import EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.events.model import CRITICAL_EVENTS

COUNT = Path(__file__).with_name("attempts")


@pytest_asyncio.fixture
async def first_drops():
    n = int(COUNT.read_text()) if COUNT.exists() else 0
    COUNT.write_text(str(n + 1))
    faults = FaultPlan({"drop_event": 1.0} if n == 0 else {})
    config = EmulatorConfig(timing=TimingProfile.instant(), faults=faults)
    async with run_service(config) as svc:
        yield svc


@pytest.mark.asyncio
async def test_all_events_arrive(first_drops, token, netra_session):
    session = await netra_session(first_drops.url, token=token, transport="header")
    record = await session.run("hello", timeout=10)
    assert set(CRITICAL_EVENTS) <= {e.event.type for e in record.events}
"""


def test_the_failed_attempts_broken_contract_is_not_a_weak_pass(tmp_path: Path) -> None:
    run = run_suite(tmp_path, FIRST_ATTEMPT_DROPS, conftest_extra=RERUN_STAND_IN)
    assert run.returncode == 0, run.stdout
    report = triage(run.junit, recordings=run.recordings)
    recs = report.recordings["test_agent::test_all_events_arrive"]
    assert [r.outcome for r in recs] == ["rerun", "passed"]
    assert recs[0].contract_findings[0].startswith("FAIL")  # the dropped event
    assert not [s for s in report.vacuous if s.kind is VacuousKind.CONTRACT_BROKEN], report.vacuous
