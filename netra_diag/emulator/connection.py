"""One WebSocket connection to the reference service: its state, its message loop and its runs.

The loop answers each client frame as PROTOCOL.md §4 says; runs execute as background tasks so
``ping`` is answered while an agent works. Events of a run go to the connections of the user who
asked that are subscribed to the run's thread (``router``); faults are applied by executing the
``Step`` list from ``faults.plan_steps``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from netra_diag.emulator.agent import RunContext, ScriptedEvent, plan_run
from netra_diag.emulator.auth import AuthDecision, Credentials
from netra_diag.emulator.config import Fault, FaultPlan
from netra_diag.emulator.envelopes import (
    ack_frame,
    choose_variant,
    connection_established_frame,
    error_frame,
    render_event,
    simple_frame,
)
from netra_diag.emulator.faults import Step, StepKind, plan_steps, roll_faults
from netra_diag.emulator.protocol import ClientMessage, MessageKind, classify_message
from netra_diag.emulator.timers import precise_sleep

if TYPE_CHECKING:
    from netra_diag.emulator.server import Service

__all__ = ["ConnState", "EmulatorConnection", "handle_connection"]

logger = logging.getLogger("netra_diag.emulator")


@dataclass(eq=False)
class ConnState:
    """Everything the service knows about one connection (set up during the handshake)."""

    connection_id: str
    seq: int
    mode: str
    envelope: str
    plan: FaultPlan
    creds: Credentials
    decision: AuthDecision
    conn_faults: frozenset[Fault]
    fault_rng: random.Random
    id_rng: random.Random
    envelope_rng: random.Random
    time_scale: float | None = None
    auth_close_code: int = 1008
    legacy_test: bool = False
    ws: ServerConnection | None = None
    user_id: str = ""
    threads: set[str] = field(default_factory=set)
    runs: set[asyncio.Task[None]] = field(default_factory=set)
    events_seq: int = 0
    run_count: int = 0
    heartbeat_fault_logged: bool = False

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.UUID(int=self.id_rng.getrandbits(128)).hex[:16]}"


class EmulatorConnection(ServerConnection):
    """A websockets server connection that carries the service's per-connection state."""

    netra: ConnState | None = None


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)


async def _send(ws: ServerConnection, text: str) -> bool:
    try:
        await ws.send(text)
    except ConnectionClosed:
        return False
    return True


async def handle_connection(service: Service, ws: EmulatorConnection) -> None:
    """The websockets handler: auth outcome, ``connection_established``, then the loop."""
    state = ws.netra
    if state is None:  # the handshake hook always sets it; refuse rather than guess
        await ws.close(1011, "Internal error")
        return
    state.ws = ws
    if state.legacy_test:
        await _legacy_loop(ws)
        return
    if state.creds.unsupported_subprotocols:
        await ws.close(1003, "No supported subprotocols")
        return
    now = time.time()
    if not state.decision.ok:
        frame = error_frame(
            "AUTH_FAILED",
            f"Authentication failed: {state.decision.reason}",
            now,
            details={
                "transport": state.creds.transport,
                "failures": list(state.decision.failure_codes),
                "token_fingerprint": state.decision.token_fingerprint,
            },
            suggestions=[
                "check the token's signature secret, issuer, audience, token_type and expiry",
                "send it as 'Authorization: Bearer', a 'jwt.<base64url>' subprotocol or ?token=",
            ],
        )
        await _send(ws, _dumps(frame))
        await ws.close(state.auth_close_code, "Authentication failed")
        return
    state.user_id = state.decision.user_id or ""
    service.router.add(state)
    try:
        established = connection_established_frame(
            mode=state.mode,
            user_id=state.user_id,
            connection_id=state.connection_id,
            now=now,
            server_id=service.config.server_id,
            heartbeat_interval=service.config.idle_heartbeat_s,
        )
        if await _send(ws, _dumps(established)):
            await _message_loop(service, state, ws)
    finally:
        service.router.remove(state)
        for task in list(state.runs):
            task.cancel()
        if state.runs:
            await asyncio.gather(*state.runs, return_exceptions=True)


async def _legacy_loop(ws: ServerConnection) -> None:
    """``/ws/test`` of the older generation: no auth, echoes pong / heartbeat / ack."""
    async for raw in ws:
        msg = classify_message(raw)
        now = time.time()
        if msg.kind is MessageKind.PING:
            reply = simple_frame("pong", now)
        elif msg.kind is MessageKind.HEARTBEAT:
            reply = simple_frame("heartbeat", now)
        else:
            reply = ack_frame(msg.type, now)
        if not await _send(ws, _dumps(reply)):
            return


async def _message_loop(service: Service, state: ConnState, ws: ServerConnection) -> None:
    idle = service.config.idle_heartbeat_s
    first = True
    while True:
        try:
            async with asyncio.timeout(idle):
                raw = await ws.recv()
        except TimeoutError:
            if not await _idle_heartbeat(service, state, ws):
                return
            continue
        except ConnectionClosed:
            return
        if first and Fault.CLOSE_1011_AFTER_FIRST_MESSAGE in state.conn_faults:
            kind = classify_message(raw)
            service.log_fault(
                Fault.CLOSE_1011_AFTER_FIRST_MESSAGE,
                state,
                detail="closed 1011 after the first client message",
                event_type=kind.type if isinstance(kind.type, str) else None,
            )
            await ws.close(1011, "Internal error")
            return
        first = False
        if not await _answer(service, state, ws, classify_message(raw)):
            return


async def _idle_heartbeat(service: Service, state: ConnState, ws: ServerConnection) -> bool:
    if Fault.STOP_HEARTBEATS in state.conn_faults:
        if not state.heartbeat_fault_logged:
            state.heartbeat_fault_logged = True
            service.log_fault(
                Fault.STOP_HEARTBEATS, state, detail="idle heartbeats suppressed", event_type=None
            )
        return True
    return await _send(ws, _dumps(simple_frame("heartbeat", time.time())))


async def _answer(
    service: Service, state: ConnState, ws: ServerConnection, msg: ClientMessage
) -> bool:
    now = time.time()
    if msg.kind is MessageKind.PING:
        return await _send(ws, _dumps(simple_frame("pong", now)))
    if msg.kind is MessageKind.HEARTBEAT:
        return await _send(ws, _dumps(simple_frame("heartbeat_ack", now)))
    if msg.kind is MessageKind.UNKNOWN:
        return await _send(ws, _dumps(ack_frame(msg.type, now)))
    if msg.kind is MessageKind.BAD_JSON:
        frame = error_frame(
            "JSON_PARSE_ERROR",
            f"Invalid message format: {msg.problem}",
            now,
            suggestions=["send one JSON object per text frame"],
        )
        return await _send(ws, _dumps(frame))
    if msg.kind is MessageKind.INVALID_RUN:
        frame = error_frame(
            "INVALID_MESSAGE",
            msg.problem,
            now,
            details={"received_type": msg.type},
            suggestions=['put the text in "payload": {"content": ...}'],
        )
        return await _send(ws, _dumps(frame))
    start_run(service, state, msg)
    return True


def start_run(service: Service, state: ConnState, msg: ClientMessage) -> asyncio.Task[None]:
    """Plan the run (script and faults) now, execute it in the background."""
    state.run_count += 1
    thread_id = msg.thread_id or state.new_id("thread")
    ctx = RunContext(
        run_id=msg.run_id or state.new_id("run"),
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
    task = asyncio.get_running_loop().create_task(_execute(service, state, ctx, steps))
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
    return _dumps(frame)


async def _deliver(service: Service, ctx: RunContext, event: ScriptedEvent) -> None:
    for peer in service.router.recipients(ctx.user_id, ctx.thread_id):
        if peer.ws is not None and await _send(peer.ws, _render(service, peer, event)):
            service.events_sent += 1


async def _execute(service: Service, state: ConnState, ctx: RunContext, steps: list[Step]) -> None:
    loop = asyncio.get_running_loop()
    # Each step is due ``delay_s`` after the previous one was *due*, not after it was done: the
    # time spent rendering and sending a frame, and a wake-up that came late, are not added to
    # the next gap, so the gaps a client measures are the delays the run was planned with. When
    # the service fell behind by more than a whole delay, the schedule restarts from now rather
    # than sending a burst to catch up.
    due = loop.time()
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
            if await _send(victim.ws, _render(service, victim, step.event)):
                service.events_sent += 1
            continue
        if step.fault is not None:
            service.log_fault(step.fault, state, ctx=ctx, step=step)
        if step.kind is StepKind.SEND and step.event is not None:
            await _deliver(service, ctx, step.event)
        elif step.kind is StepKind.SEND_RAW and step.raw is not None and state.ws is not None:
            await _send(state.ws, step.raw)
        elif step.kind is StepKind.ABORT:
            if state.ws is not None:
                # No close frame: the client sees 1006, as after a crash or an instance restart.
                with contextlib.suppress(Exception):
                    state.ws.transport.abort()
            return
