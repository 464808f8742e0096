"""The receive half of a session's connection: every frame the server sends is timed (its
arrival, ``StampedConnection``), parsed, recorded, kept in the history and the last frames (for
close explanations), and queued for consumers here.

Two ways in, one outcome. Straight from the protocol, with no task in between (``deliver``, and
``deliver_many`` for the messages of one network read that ``live.frame_splitter`` decoded),
set as the socket's sinks whenever websockets' own buffer is empty; and the reader task
(``read_loop``), which reads what websockets kept (a heartbeat or handshake to answer, a
fragmented message, a message the direct path declined) in order, and learns of the close.

Functions over a ``Connection`` (its state lives there), as in ``live.closing``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from netra_diag.errors import SessionClosed
from netra_diag.events.model import Event, TimedEvent, new_timed_event, parse_frame
from netra_diag.live.auth_verdict import judge_auth
from netra_diag.live.pinger import answer_liveness, note_pong
from netra_diag.live.records import LIVENESS_TYPES
from netra_diag.recording_format import frame_line_prefix

if TYPE_CHECKING:
    from netra_diag.live.connection import Connection
    from netra_diag.live.stamped_connection import StampedConnection

__all__ = [
    "after_read",
    "arrival",
    "deliver",
    "deliver_many",
    "established_data",
    "ingest",
    "late_established",
    "read_loop",
]

# Frames the reader task must answer (it can await a send; the direct delivery path cannot).
_ANSWERED = frozenset({"heartbeat", "handshake_response"})
# Frames the receive path does more with than record and queue.
_SPECIAL = LIVENESS_TYPES | {"connection_established"}


def ingest(
    conn: Connection,
    raw: str | bytes,
    arrival_ns: int | None = None,
    *,
    event: Event | None = None,
    defer: bool = False,
) -> TimedEvent:
    """Record and timestamp one received frame. ``arrival_ns`` (the session clock when the
    protocol completed the message, see ``StampedConnection``) is the frame's time when known;
    the wall time is shifted back by the same amount. ``event``: ``raw`` already parsed.
    ``defer``: leave the line to the recorder's next ``flush`` (see ``after_read``)."""
    t_ns, wall = arrival(conn, arrival_ns)
    if event is None:
        event = parse_frame(raw)
    if conn._recorder is not None:
        conn._recorder.frame("in", raw, t_ns=t_ns, wall=wall, event=event, defer=defer)
    t = t_ns / 1e9
    te = new_timed_event(event, t, wall, conn._n_in)
    conn._n_in += 1
    conn._last_frame_t = t
    conn.history.append(te)
    conn._last_frames.append(("←", raw))
    if conn._on_frame is not None:
        conn._notify("in", te)
    return te


def deliver(conn: Connection, raw: str | bytes, arrival_ns: int) -> bool:
    """``StampedConnection.sink``: one received message, straight from the protocol (no reader
    task in between). Returns ``False`` for a ``heartbeat`` or ``handshake_response``, whose
    answer is sent by the reader task (``read_loop``) after websockets hands the message back
    to it.

    The recording line is deferred to ``after_read``, one write per network read, which runs
    before control returns to the event loop, so no consumer (and no other task) can see a
    frame that is not on disk yet. With an ``on_frame`` observer every line is written at once,
    since the observer sees the frame immediately."""
    event = parse_frame(raw)
    etype = event.type
    if etype in _ANSWERED:
        return False
    te = ingest(conn, raw, arrival_ns, event=event, defer=conn._on_frame is None)
    if etype in LIVENESS_TYPES:
        if etype == "pong":
            note_pong(conn, te)
        return True
    if etype == "connection_established" and conn.handshake is not None:
        late_established(conn, event)
    conn.queue.put_nowait(te)
    return True


def deliver_many(conn: Connection, payloads: list[bytes], arrival_ns: int) -> int:
    """``StampedConnection.sink_many``: the text messages of one network read, in order (the
    receive fast path, ``live.frame_splitter``). What ``deliver`` does per message, with the
    clocks read and the line prefix built once for the read (every message of it has the same
    arrival time). Returns how many were taken: it stops before a frame to answer (the reader
    task answers it, see ``deliver``) or a message that is not UTF-8."""
    if conn._on_frame is not None:  # the observer sees each frame as its line is written
        for i, payload in enumerate(payloads):
            try:
                if not deliver(conn, payload.decode(), arrival_ns):
                    return i
            except UnicodeDecodeError:
                return i
        return len(payloads)
    t_ns, wall = arrival(conn, arrival_ns)
    t = t_ns / 1e9
    rec = conn._recorder
    received = rec.received if rec is not None else None
    prefix = frame_line_prefix("in", t_ns, wall) if rec is not None else ""
    # History, last frames and the queue take the read's frames together at the end: nothing
    # called from the loop reads them, and nothing else runs before this returns.
    timed: list[TimedEvent] = []
    add = timed.append
    queued: list[TimedEvent] = []
    put = queued.append
    n_in = conn._n_in
    taken = len(payloads)
    try:
        for i, payload in enumerate(payloads):
            try:
                raw = payload.decode()
            except UnicodeDecodeError:
                taken = i
                break
            event = parse_frame(raw)
            etype = event.type
            if etype in _ANSWERED:
                taken = i
                break
            if received is not None:
                received(prefix, raw, event)
            te = new_timed_event(event, t, wall, n_in)
            n_in += 1
            add(te)
            if etype in _SPECIAL:
                if etype == "pong":
                    conn._n_in = n_in
                    note_pong(conn, te)
                elif etype == "connection_established" and conn.handshake is not None:
                    late_established(conn, event)
                if etype in LIVENESS_TYPES:
                    continue
            put(te)
    finally:
        conn._n_in = n_in
        if timed:
            conn._last_frame_t = t
            conn.history.extend(timed)
            conn._last_frames.extend(("←", te.event.raw) for te in timed[-5:])
            if queued:
                conn.queue.put_many(queued)
    return taken


def arrival(conn: Connection, arrival_ns: int | None) -> tuple[int, float]:
    """(session ns, wall time) of a frame that arrived at ``arrival_ns`` on the session clock
    (now when unknown), the wall time shifted back by the same amount."""
    if arrival_ns is not None and arrival_ns == conn._stamp_ns:
        # Another frame of the same network read: same arrival, same clocks.
        return arrival_ns - conn._origin, conn._stamp_wall
    now_ns = conn._clock()
    wall = conn._wall()
    if arrival_ns is not None and arrival_ns <= now_ns:
        wall -= (now_ns - arrival_ns) / 1e9
        now_ns = arrival_ns
        conn._stamp_ns, conn._stamp_wall = arrival_ns, wall
    return now_ns - conn._origin, wall


def after_read(conn: Connection) -> None:
    """``StampedConnection.after_read``: write the lines deferred during one network read."""
    rec = conn._recorder
    if rec is None or not rec.pending:
        return
    try:
        rec.flush()
    except Exception as exc:  # must not escape into the protocol's data_received
        with contextlib.suppress(Exception):
            conn.mark("error", {"message": f"recording failed: {type(exc).__name__}: {exc}"})


async def read_loop(conn: Connection, ws: StampedConnection) -> None:
    """The reader task of one socket. Messages come straight from the protocol (the socket's
    ``sink`` is ``deliver``) whenever websockets' own buffer is empty; ``recv()`` here reads
    what was left in that buffer or handed back to it (a heartbeat to answer, a fragmented
    message, a message that failed the direct path) in order, and learns of the close."""
    direct = ws.buffered() is not None
    sink = functools.partial(deliver, conn)
    sink_many = functools.partial(deliver_many, conn)
    if direct:
        ws.after_read = functools.partial(after_read, conn)
    try:
        while True:
            if direct and ws.sink is None and ws.buffered() == 0:
                ws.sink = sink
                ws.sink_many = sink_many
            raw = await ws.recv()
            arrivals = ws.arrivals
            te = ingest(conn, raw, arrivals.popleft() if arrivals else None)
            etype = te.event.type
            if etype in LIVENESS_TYPES:
                await answer_liveness(conn, ws, te)
                continue
            if etype == "connection_established" and conn.handshake is not None:
                late_established(conn, te.event)
            elif etype == "handshake_response":
                # The newest generation's handshake, after the session was opened (a service
                # that does not announce it in connection_established): answered as during the
                # opening, or the service refuses every request.
                await acknowledge_handshake(conn, ws, te.event)
            conn.queue.put_nowait(te)
    except ConnectionClosed as exc:
        conn._on_closed(ws, exc)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # never let a reader die silently: explain it as a close
        conn.mark("error", {"message": f"reader failed: {type(exc).__name__}: {exc}"})
        conn._on_closed(ws, None)
    finally:
        # Also breaks the reference cycle socket -> these sinks -> connection -> socket, so a
        # closed session is freed at once rather than at the next full collection.
        ws.sink = None
        ws.sink_many = None
        ws.after_read = None


async def acknowledge_handshake(conn: Connection, ws: StampedConnection, event: Event) -> None:
    """Answer the newest generation's ``handshake_response`` (PROTOCOL.md §5)."""
    ack = {"type": "handshake_acknowledged", "thread_id": event.thread_id, "run_id": event.run_id}
    with contextlib.suppress(SessionClosed):
        await conn.send_text(json.dumps(ack), ws)


def late_established(conn: Connection, event: Event) -> None:
    """A ``connection_established`` after the session was opened: who the server says we are
    now (a mark, the handshake's server user and the auth verdict)."""
    data = established_data(event)
    conn.mark("connection_established", data)
    user = data.get("user_id")
    if user is not None and conn.handshake is not None:
        conn.handshake = replace(conn.handshake, server_user_id=str(user))
        conn.auth = judge_auth(str(user), conn.token_sub)


def established_data(event: Event) -> dict[str, Any]:
    """The identity fields of ``connection_established`` worth a mark."""
    keep = ("user_id", "connection_id", "mode", "thread_id", "run_id")
    return {k: event.fields[k] for k in keep if event.fields.get(k) is not None}
