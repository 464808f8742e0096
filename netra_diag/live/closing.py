"""How a session's socket ends: the ``CloseInfo`` explaining it (RFC 6455 §7.4 and PROTOCOL.md §6
meanings, last frames, token expiry, time since the last pong), the state change that follows
(automatic reconnect, or closed for good: never after 1008), and a bounded shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from netra_diag.closecodes import CloseInfo
from netra_diag.live.reconnect import ReconnectPolicy
from netra_diag.redaction import scrub

if TYPE_CHECKING:
    from netra_diag.live.connection import Connection
    from netra_diag.live.handshake import StampedConnection

__all__ = [
    "CLOSED",
    "auto_reconnect",
    "close_info_from",
    "on_closed",
    "scrubbed_last_frames",
    "shutdown",
]

CLOSED: Any = object()  # queue sentinel: the connection closed


def scrubbed_last_frames(conn: Connection) -> tuple[str, ...]:
    """The last frames before a close, scrubbed now (not per frame)."""
    out = []
    for arrow, data in conn._last_frames:
        shown = data[:400] if isinstance(data, str) else f"<{len(data)} bytes>"
        out.append(f"{arrow} {scrub(shown, conn._secrets)}")
    return tuple(out)


def close_info_from(
    conn: Connection, exc: ConnectionClosed | None, *, intentional: bool
) -> CloseInfo:
    """``CloseInfo`` for the exception that ended the socket (``None``: no close frame)."""
    code: int | None = None
    reason = ""
    if exc is not None and exc.rcvd is not None:
        code, reason = exc.rcvd.code, exc.rcvd.reason
        by = "client" if intentional else "server"
    elif exc is not None and exc.sent is not None:
        # Only we sent a close: we closed on purpose, or websockets failed the connection on
        # something the server sent (1002 protocol error, 1007 invalid UTF-8, 1009 too big),
        # after which it reads nothing more, the server's answering close frame included.
        code, reason = exc.sent.code, exc.sent.reason
        by = "client"
    else:
        by = "client" if intentional else "none"
    t_ns, wall = conn.now()
    return CloseInfo.build(
        code,
        scrub(reason, conn._secrets),
        last_frames=scrubbed_last_frames(conn),
        token_exp=conn.token_exp,
        close_wall=wall,
        close_t=t_ns / 1e9,
        last_pong_t=conn._last_pong_t,
        last_frame_t=conn._last_frame_t,
        initiated_by=by,
    )


def on_closed(conn: Connection, ws: StampedConnection, exc: ConnectionClosed | None) -> None:
    """The reader saw its socket end: explain it, update state, maybe start reconnecting."""
    intentional = id(ws) in conn._intentional
    conn._intentional.discard(id(ws))
    info = close_info_from(conn, exc, intentional=intentional)
    conn.mark("close", info.to_dict())
    if ws is not conn._ws:
        return  # an old socket (replaced by an explicit reconnect) finishing its close
    conn.close_info = info
    conn._open_event.clear()
    conn._app_pings.cancel_all()
    if conn._pinger is not None:
        conn._pinger.stop()
    policy = conn.reconnect_policy
    if not intentional and policy is not None and policy.should_reconnect(info.code):
        conn.queue.put_nowait(CLOSED)
        conn._reconnector = asyncio.create_task(auto_reconnect(conn, policy))
        return
    if info.is_auth_failure and policy is not None and not intentional:
        conn.mark("reconnect_skipped", {"code": info.code, "why": "no reconnect after 1008"})
    conn._final = True
    conn.queue.put_nowait(CLOSED)


async def auto_reconnect(conn: Connection, policy: ReconnectPolicy) -> None:
    try:
        await conn.reopen(policy)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        conn.mark("error", {"message": f"reconnect gave up: {exc}"})
        conn._final = True
        conn.queue.put_nowait(CLOSED)


async def shutdown(conn: Connection, code: int = 1000, reason: str = "") -> None:
    """Close for good; bounded by ``close_timeout`` however the peer behaves."""
    conn._final = True
    if conn._pinger is not None:
        conn._pinger.stop()
    if conn._reconnector is not None and not conn._reconnector.done():
        conn._reconnector.cancel()
    ws = conn._ws
    if ws is not None:
        conn._intentional.add(id(ws))
        with contextlib.suppress(Exception):
            async with asyncio.timeout(conn._close_timeout + 1):
                await ws.close(code, reason)
    reader = conn._reader
    if reader is not None and not reader.done():
        try:
            async with asyncio.timeout(conn._close_timeout + 1):
                await reader
        except TimeoutError:
            reader.cancel()
    pinger = conn._pinger
    if pinger is not None:
        pinger.stop()  # again: a reconnect finishing meanwhile may have started another
    for task in (conn._reconnector, pinger.task if pinger is not None else None):
        if task is not None and not task.done():
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(1):
                    await task
    conn._open_event.clear()
    if conn._owns_recorder and conn._recorder is not None:
        conn._recorder.close()
