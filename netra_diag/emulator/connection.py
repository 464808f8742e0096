"""One WebSocket connection to the reference service: its message loop and its handshake.

The loop answers each client frame as PROTOCOL.md §4 says; a run request starts a run (``runs``),
which executes in the background so ``ping`` is answered while an agent works. What the service
keeps about the connection is a ``ConnState`` (``connection_state``).

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
import math
import time
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from netra_diag.emulator.config import EmulatorConfig, Fault, parse_switch
from netra_diag.emulator.connection_state import (
    ConnState,
    EmulatorConnection,
    encode_frame,
    send_text,
)
from netra_diag.emulator.envelopes import (
    ack_frame,
    connection_established_frame,
    error_frame,
    simple_frame,
)
from netra_diag.emulator.protocol import ClientMessage, MessageKind, classify_message
from netra_diag.emulator.runs import start_run
from netra_diag.errors import UsageError

if TYPE_CHECKING:
    from netra_diag.emulator.server import Service

__all__ = ["handle_connection", "handshake_timeout"]


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
        await send_text(ws, encode_frame(frame))
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
        if not await send_text(ws, encode_frame(established)):
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
        if not await send_text(ws, encode_frame(reply)):
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
    service: Service, state: ConnState, ws: EmulatorConnection, wait_s: float
) -> bool:
    """The newest generation's handshake (module docstring); False when the connection is over."""
    thread_id, run_id = state.new_id("thread"), state.new_id("run")
    state.handshake_thread, state.handshake_run = thread_id, run_id
    ids = {"thread_id": thread_id, "run_id": run_id, "connection_id": state.connection_id}
    if not await send_text(
        ws, encode_frame(simple_frame("handshake_response", time.time(), **ids))
    ):
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
        await send_text(ws, encode_frame(frame))
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
    return await send_text(ws, encode_frame(simple_frame("handshake_complete", time.time(), **ids)))


async def _not_ready(
    service: Service, state: ConnState, ws: EmulatorConnection, until: float, ack_for: str | None
) -> _Wait:
    """Answer the client until ``until`` (loop time) while the handshake is not complete; with
    ``ack_for``, return at the acknowledgement that names that thread."""
    loop = asyncio.get_running_loop()
    idle = service.config.idle_heartbeat_s
    while (left := until - loop.time()) > 0:
        try:
            async with asyncio.timeout(min(left, idle)):
                raw = await ws.recv()
        except TimeoutError:
            # The service is not ready, but it is alive: silence is still answered with a
            # heartbeat, as at any other time (PROTOCOL.md §6).
            if idle < left and not await _idle_heartbeat(service, state, ws):
                return _Wait.CLOSED
            continue
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
        if not await send_text(ws, encode_frame(frame)):
            return _Wait.CLOSED
    return _Wait.DEADLINE


async def _closed_after_first_message(
    service: Service, state: ConnState, ws: EmulatorConnection, raw: str | bytes
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


async def _message_loop(service: Service, state: ConnState, ws: EmulatorConnection) -> None:
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


async def _idle_heartbeat(service: Service, state: ConnState, ws: EmulatorConnection) -> bool:
    if Fault.STOP_HEARTBEATS in state.conn_faults:
        if not state.heartbeat_fault_logged:
            state.heartbeat_fault_logged = True
            service.log_fault(
                Fault.STOP_HEARTBEATS, state, detail="idle heartbeats suppressed", event_type=None
            )
        return True
    return await send_text(ws, encode_frame(simple_frame("heartbeat", time.time())))


async def _answer(
    service: Service, state: ConnState, ws: EmulatorConnection, msg: ClientMessage
) -> bool:
    now = time.time()
    if msg.kind is MessageKind.PING:
        return await send_text(ws, encode_frame(simple_frame("pong", now)))
    if msg.kind is MessageKind.HEARTBEAT:
        return await send_text(ws, encode_frame(simple_frame("heartbeat_ack", now)))
    if msg.kind in (MessageKind.UNKNOWN, MessageKind.HANDSHAKE_ACK):
        # Without a handshake in progress an acknowledgement is just a type the loop ignores.
        return await send_text(ws, encode_frame(ack_frame(msg.type, now)))
    if msg.kind is MessageKind.BAD_JSON:
        frame = error_frame(
            "JSON_PARSE_ERROR",
            f"Invalid message format: {msg.problem}",
            now,
            suggestions=["send one JSON object per text frame"],
        )
        return await send_text(ws, encode_frame(frame))
    if msg.kind is MessageKind.INVALID_RUN:
        frame = error_frame(
            "INVALID_MESSAGE",
            msg.problem,
            now,
            details={"received_type": msg.type},
            suggestions=['put the text in "payload": {"content": ...}'],
        )
        return await send_text(ws, encode_frame(frame))
    start_run(service, state, msg, arrived=ws.arrived)
    return True
