"""One WebSocket connection to the reference service: its state, its message loop and its runs.

The loop answers each client frame as PROTOCOL.md §4 says; runs execute as background tasks so
``ping`` is answered while an agent works. Events of a run go to the connections of the user who
asked that are subscribed to the run's thread (``router``); faults are applied by executing the
``Step`` list from ``faults.plan_steps``.

The newest generation's handshake (PROTOCOL.md §5), when ``EmulatorConfig.handshake`` or
``?handshake=on`` asks for it: ``connection_established`` announces it (``features.handshake``),
then the service sends ``handshake_response`` with a fresh ``thread_id`` and ``run_id`` and waits
up to ``handshake_timeout_s`` (``?handshake_timeout_s=``) for ``handshake_acknowledged`` echoing
that ``thread_id``, then sends ``handshake_complete``. Until then the service is not ready, like
the real one before its processing phase, but says so instead of losing the message: a run request
gets an ``error_message`` with ``HANDSHAKE_INCOMPLETE`` and is not started (the client must send it
again); an acknowledgement naming another thread gets ``HANDSHAKE_MISMATCH`` and the wait goes on;
``ping``/``heartbeat`` and other frames are answered as usual. No acknowledgement in time: an
``error_message`` with ``HANDSHAKE_TIMEOUT``, then close 1008 (policy violation), so a client that
skips the handshake fails visibly rather than later. Afterwards the handshake's ``thread_id`` is
the connection's default thread and its ``run_id`` goes to the first run that names none. Faults
``drop_handshake_complete`` (ready, but ``handshake_complete`` never sent) and
``late_handshake_complete`` (held for ``stall_s``, still not ready meanwhile) are logged when they
take effect; without the handshake they do nothing and are not logged. A ``?handshake=`` or
``?handshake_timeout_s=`` that cannot be read never gets this far: ``server`` refuses the upgrade
with HTTP 400 and a plain-text body naming the parameter, the value and what is accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from netra_diag.emulator.agent import RunContext, ScriptedEvent, plan_run
from netra_diag.emulator.auth import AuthDecision, Credentials
from netra_diag.emulator.config import EmulatorConfig, Fault, FaultPlan, parse_switch
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
from netra_diag.errors import UsageError

if TYPE_CHECKING:
    from netra_diag.emulator.server import Service

__all__ = ["ConnState", "EmulatorConnection", "handle_connection", "handshake_timeout"]

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
    heard_client: bool = False
    # Set by the newest generation's handshake: the default thread of this connection's runs,
    # and the run id the first run that names none is given.
    handshake_thread: str | None = None
    handshake_run: str | None = None
    # How long the newest generation's handshake waits (None: no handshake), read from the query
    # before the upgrade, where a malformed value is refused with HTTP 400.
    handshake_s: float | None = None

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{uuid.UUID(int=self.id_rng.getrandbits(128)).hex[:16]}"

    def take_handshake_run(self) -> str | None:
        run_id, self.handshake_run = self.handshake_run, None
        return run_id


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
        handshake_s = state.handshake_s
        if handshake_s is not None:
            established["data"]["features"]["handshake"] = True
        if not await _send(ws, _dumps(established)):
            return
        if handshake_s is None or await _handshake(service, state, ws, handshake_s):
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


def handshake_timeout(config: EmulatorConfig, path: str) -> float | None:
    """How long this connection's handshake waits for the client (None: no handshake), from
    ``?handshake=`` / ``?handshake_timeout_s=`` over the configuration. Raises ``UsageError``."""
    params = {k: v[-1] for k, v in parse_qs(urlsplit(path).query).items()}
    enabled = config.handshake
    if "handshake" in params:
        enabled = parse_switch("handshake", params["handshake"])
    timeout_s = config.handshake_timeout_s
    if "handshake_timeout_s" in params:
        text = params["handshake_timeout_s"]
        try:
            timeout_s = float(text)
        except ValueError:
            timeout_s = math.nan
        if not 0 < timeout_s < math.inf:
            raise UsageError(f"handshake_timeout_s must be a number of seconds > 0, got {text!r}")
    return timeout_s if enabled else None


class _Wait(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    DEADLINE = "deadline"
    CLOSED = "closed"


async def _handshake(
    service: Service, state: ConnState, ws: ServerConnection, wait_s: float
) -> bool:
    """The newest generation's handshake (module docstring); False when the connection is over."""
    thread_id, run_id = state.new_id("thread"), state.new_id("run")
    state.handshake_thread, state.handshake_run = thread_id, run_id
    ids = {"thread_id": thread_id, "run_id": run_id, "connection_id": state.connection_id}
    if not await _send(ws, _dumps(simple_frame("handshake_response", time.time(), **ids))):
        return False
    loop = asyncio.get_running_loop()
    waited = await _not_ready(service, state, ws, loop.time() + wait_s, thread_id)
    if waited is _Wait.CLOSED:
        return False
    if waited is _Wait.DEADLINE:
        frame = error_frame(
            "HANDSHAKE_TIMEOUT",
            f"no handshake_acknowledged within {wait_s:g} s",
            time.time(),
            details={**ids, "timeout_s": wait_s},
            suggestions=[
                "answer handshake_response with "
                '{"type": "handshake_acknowledged", "thread_id": ..., "run_id": ...}',
            ],
        )
        await _send(ws, _dumps(frame))
        await ws.close(1008, "Handshake not acknowledged")
        return False
    if Fault.DROP_HANDSHAKE_COMPLETE in state.conn_faults:
        service.log_fault(
            Fault.DROP_HANDSHAKE_COMPLETE,
            state,
            detail=f"handshake_complete not sent for thread {thread_id}; requests accepted",
            event_type="handshake_complete",
        )
        return True
    if Fault.LATE_HANDSHAKE_COMPLETE in state.conn_faults:
        hold_s = state.plan.stall_s
        service.log_fault(
            Fault.LATE_HANDSHAKE_COMPLETE,
            state,
            detail=f"handshake_complete held {hold_s:g} s; requests refused meanwhile",
            event_type="handshake_complete",
        )
        if await _not_ready(service, state, ws, loop.time() + hold_s, None) is _Wait.CLOSED:
            return False
    return await _send(ws, _dumps(simple_frame("handshake_complete", time.time(), **ids)))


async def _not_ready(
    service: Service, state: ConnState, ws: ServerConnection, until: float, ack_for: str | None
) -> _Wait:
    """Answer the client until ``until`` (loop time) while the handshake is not complete; with
    ``ack_for``, return at the acknowledgement that names that thread."""
    loop = asyncio.get_running_loop()
    while (left := until - loop.time()) > 0:
        try:
            async with asyncio.timeout(left):
                raw = await ws.recv()
        except TimeoutError:
            break
        except ConnectionClosed:
            return _Wait.CLOSED
        if await _closed_after_first_message(service, state, ws, raw):
            return _Wait.CLOSED
        msg = classify_message(raw)
        if msg.kind is MessageKind.HANDSHAKE_ACK and ack_for is not None:
            if msg.thread_id == ack_for:
                return _Wait.ACKNOWLEDGED
            frame = error_frame(
                "HANDSHAKE_MISMATCH",
                f"handshake_acknowledged names thread {msg.thread_id!r}, not {ack_for!r}",
                time.time(),
                details={"expected_thread_id": ack_for, "received_thread_id": msg.thread_id},
                suggestions=["echo the thread_id of handshake_response"],
            )
        elif msg.kind in (MessageKind.RUN, MessageKind.INVALID_RUN):
            frame = error_frame(
                "HANDSHAKE_INCOMPLETE",
                "the connection is not ready: the handshake has not completed",
                time.time(),
                details={"received_type": msg.type},
                suggestions=["wait for handshake_complete, then send the request again"],
            )
        elif await _answer(service, state, ws, msg):
            continue
        else:
            return _Wait.CLOSED
        if not await _send(ws, _dumps(frame)):
            return _Wait.CLOSED
    return _Wait.DEADLINE


async def _closed_after_first_message(
    service: Service, state: ConnState, ws: ServerConnection, raw: str | bytes
) -> bool:
    """The ``close_1011_after_first_message`` fault, on the client's first message."""
    first, state.heard_client = not state.heard_client, True
    if not first or Fault.CLOSE_1011_AFTER_FIRST_MESSAGE not in state.conn_faults:
        return False
    kind = classify_message(raw)
    service.log_fault(
        Fault.CLOSE_1011_AFTER_FIRST_MESSAGE,
        state,
        detail="closed 1011 after the first client message",
        event_type=kind.type if isinstance(kind.type, str) else None,
    )
    await ws.close(1011, "Internal error")
    return True


async def _message_loop(service: Service, state: ConnState, ws: ServerConnection) -> None:
    idle = service.config.idle_heartbeat_s
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
        if await _closed_after_first_message(service, state, ws, raw):
            return
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
    if msg.kind in (MessageKind.UNKNOWN, MessageKind.HANDSHAKE_ACK):
        # Without a handshake in progress an acknowledgement is just a type the loop ignores.
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
