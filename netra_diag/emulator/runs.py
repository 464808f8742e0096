"""The agent runs of the reference service (PROTOCOL.md §4, §5, §7): a run request is planned at
once (script from ``agent``, faults from ``faults``) and executed as a background task, so the
connection's message loop still answers ``ping`` while an agent works. Each event goes to the
connections of the user who asked that are subscribed to the run's thread (``router``); faults are
applied by executing the ``Step`` list from ``faults.plan_steps``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from netra_diag.emulator.agent import RunContext, ScriptedEvent, plan_run
from netra_diag.emulator.config import Fault
from netra_diag.emulator.connection_state import ConnState, encode_frame, send_text
from netra_diag.emulator.envelopes import choose_variant, render_event
from netra_diag.emulator.faults import Step, StepKind, plan_steps, roll_faults
from netra_diag.emulator.protocol import ClientMessage
from netra_diag.emulator.timers import precise_sleep

if TYPE_CHECKING:
    from netra_diag.emulator.server import Service

__all__ = ["start_run"]

logger = logging.getLogger("netra_diag.emulator")


def start_run(
    service: Service, state: ConnState, msg: ClientMessage, *, arrived: float | None = None
) -> asyncio.Task[None]:
    """Plan the run (script and faults) now, execute it in the background. ``arrived``: when
    the request was read off the socket (loop time; ``EmulatorConnection.arrived``), which the
    run's delays count from; now when not given."""
    state.run_count += 1
    thread_id = msg.thread_id or state.handshake_thread or state.new_id("thread")
    ctx = RunContext(
        run_id=msg.run_id or state.take_handshake_run() or state.new_id("run"),
        thread_id=thread_id,
        user_id=state.user_id,
        request_id=state.new_id("req"),
        agent_name=msg.agent_name or service.config.agent_name,
        content=msg.content,
    )
    state.threads.add(thread_id)
    timing_rng = random.Random(f"{service.config.timing_seed}:timing:{state.seq}:{state.run_count}")
    script = plan_run(
        ctx,
        timing=service.config.timing,
        tools=service.config.tools,
        rng=timing_rng,
        time_scale=state.time_scale,
    )
    fired = roll_faults(state.plan, state.fault_rng, per_connection=False)
    steps = plan_steps(
        script,
        fired,
        state.fault_rng,
        stall_s=state.plan.stall_s,
        max_message_size=service.config.max_message_size,
    )
    service.runs_started += 1
    task = asyncio.get_running_loop().create_task(_execute(service, state, ctx, steps, arrived))
    state.runs.add(task)
    task.add_done_callback(_finished(state))
    return task


def _finished(state: ConnState) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        state.runs.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("agent run failed", exc_info=task.exception())

    return done


def _render(service: Service, peer: ConnState, event: ScriptedEvent) -> str:
    peer.events_seq += 1
    variant = choose_variant(peer.envelope, peer.envelope_rng)
    frame = render_event(
        event.type,
        event.fields,
        variant,
        now=time.time(),
        seq=peer.events_seq,
        server_id=service.config.server_id,
    )
    return encode_frame(frame)


async def _deliver(service: Service, ctx: RunContext, event: ScriptedEvent) -> None:
    for peer in service.router.recipients(ctx.user_id, ctx.thread_id):
        if peer.ws is not None and await send_text(peer.ws, _render(service, peer, event)):
            service.events_sent += 1


async def _execute(
    service: Service, state: ConnState, ctx: RunContext, steps: list[Step], arrived: float | None
) -> None:
    loop = asyncio.get_running_loop()
    # Each step is due ``delay_s`` after the previous one was *due*, not after it was done: the
    # time spent rendering and sending a frame, and a wake-up that came late, are not added to
    # the next gap, so the gaps a client measures are the delays the run was planned with. When
    # the service fell behind by more than a whole delay, the schedule restarts from now rather
    # than sending a burst to catch up. The first step is due its delay after the request arrived,
    # however long the loop took to get to it (``EmulatorConnection``).
    due = loop.time() if arrived is None else min(arrived, loop.time())
    for step in steps:
        if step.delay_s > 0:
            now = loop.time()
            due = max(due + step.delay_s, now)
            if due > now:
                await precise_sleep(due - now)
        if step.kind is StepKind.LEAK:
            victim = service.router.victim(state, ctx.thread_id)
            if victim is None or victim.ws is None or step.event is None:
                continue  # nobody to leak to: nothing happened, nothing to log
            fault = step.fault or Fault.LEAK_OTHER_USER
            service.log_fault(fault, state, ctx=ctx, step=step, target=victim.connection_id)
            if await send_text(victim.ws, _render(service, victim, step.event)):
                service.events_sent += 1
            continue
        if step.fault is not None:
            service.log_fault(step.fault, state, ctx=ctx, step=step)
        if step.kind is StepKind.SEND and step.event is not None:
            await _deliver(service, ctx, step.event)
        elif step.kind is StepKind.SEND_RAW and step.raw is not None and state.ws is not None:
            await send_text(state.ws, step.raw)
        elif step.kind is StepKind.ABORT:
            if state.ws is not None:
                # No close frame: the client sees 1006, as after a crash or an instance restart.
                with contextlib.suppress(Exception):
                    state.ws.transport.abort()
            return
