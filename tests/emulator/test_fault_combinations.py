"""Faults asked for together: every run-level combination is planned and sent, none crashes the
connection that asked for it."""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator

import pytest
from emulator_testkit import drain, established, golden, open_ws, token_for, user_message

from netra_diag.emulator import EmulatorConfig, Fault, ServiceHandle, TimingProfile, run_service
from netra_diag.emulator.agent import RunContext, plan_run
from netra_diag.emulator.faults import StepKind, plan_steps
from netra_diag.events import parse_frame

TIMING = TimingProfile(time_scale=0.0, thinking_steps=(2, 2), tool_calls=(2, 2))
RUN_FAULTS = [f for f in Fault if not f.per_connection]


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    async with run_service(EmulatorConfig(timing=TIMING, idle_heartbeat_s=30)) as handle:
        yield handle


@pytest.mark.parametrize(
    "combo",
    [c for n in (2, 3) for c in itertools.combinations(RUN_FAULTS, n)],
    ids=lambda c: "+".join(f.value for f in c),
)
def test_every_combination_plans(combo: tuple[Fault, ...]) -> None:
    ctx = RunContext("r1", "t1", "u1", "q1", "triage", "why did costs rise?")
    for seed in range(30):
        script = plan_run(ctx, timing=TIMING, tools=["cost_analyzer"], rng=random.Random(seed))
        steps = plan_steps(script, combo, random.Random(seed), stall_s=0.0, max_message_size=2048)
        faulted = {s.fault for s in steps if s.fault is not None}
        if Fault.DROP_EVENT in combo and Fault.DISCONNECT_MID_RUN not in combo:
            assert Fault.DROP_EVENT in faulted
        if Fault.REORDER in combo and Fault.DISCONNECT_MID_RUN not in combo:
            assert Fault.REORDER in faulted
        dropped = [s for s in steps if s.fault is Fault.DROP_EVENT]
        assert all(s.kind is StepKind.MARK for s in dropped)


async def test_reorder_and_drop_together_on_the_wire(svc: ServiceHandle) -> None:
    # The seed of the first connection puts the drop on the event the reorder moved: planning
    # failed there, and the client saw close 1011 instead of a run with both faults.
    for attempt in range(12):
        async with await open_ws(
            svc.ws_url("/ws", faults="reorder,drop_event"), subprotocols=golden(token_for())
        ) as ws:
            await established(ws)
            await ws.send(user_message(f"attempt {attempt}"))
            frames = await drain(ws)
            assert ws.close_code is None, (attempt, ws.close_code, ws.close_reason)
        types = [parse_frame(f).type for f in frames]
        assert len(types) == 7, (attempt, types)
    faults = {f.fault for f in svc.fault_log}
    assert faults == {Fault.REORDER, Fault.DROP_EVENT}


@pytest.mark.parametrize("fault", [Fault.UNKNOWN_EVENT_TYPE, Fault.MALFORMED_FRAME])
def test_inserted_frames_come_before_the_terminal_event(fault: Fault) -> None:
    # Placed after agent_completed, the injected frame was also an event after the terminal
    # one: a second fault, which the fault's name does not promise (fanout counted
    # 'contract: event_after_terminal' for --faults unknown_event_type).
    ctx = RunContext("r1", "t1", "u1", "q1", "triage", "why did costs rise?")
    for seed in range(60):
        script = plan_run(ctx, timing=TIMING, tools=["cost_analyzer"], rng=random.Random(seed))
        steps = plan_steps(script, [fault], random.Random(seed), stall_s=0.0, max_message_size=2048)
        kinds = [s.fault for s in steps]
        terminal = next(
            k
            for k, s in enumerate(steps)
            if s.event is not None and s.event.type == "agent_completed" and s.fault is None
        )
        assert 0 < kinds.index(fault) < terminal, (seed, [s.event_type for s in steps])
