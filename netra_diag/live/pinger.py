"""Round-trip-time sampling in the background: app-level ``{"type": "ping"}`` frames answered by the
service's ``pong`` (PROTOCOL.md §4) and WebSocket ping frames answered by the peer's pong
(RFC 6455 §5.5.2). Both are timed on the session's monotonic clock.

App-level pongs carry no reliable correlation id across service generations, so outstanding app
pings are matched first-in first-out (the service answers them in order on one connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from websockets.exceptions import ConnectionClosed

from netra_diag.errors import SessionClosed
from netra_diag.events.model import TimedEvent

if TYPE_CHECKING:
    from netra_diag.live.connection import Connection
    from netra_diag.live.handshake import StampedConnection

__all__ = [
    "AppPingTracker",
    "PingSchedule",
    "answer_liveness",
    "note_pong",
    "sample_rtt",
]


class AppPingTracker:
    """Matches app-level pongs to pings in send order. ``sent(t)`` when a ping goes out,
    ``answered(t)`` when a pong comes in: returns the RTT in seconds, or ``None`` for an
    unsolicited pong."""

    def __init__(self, limit: int = 64) -> None:
        self._pending: deque[tuple[float, asyncio.Future[float | None] | None]] = deque(
            maxlen=limit
        )

    def sent(self, t: float, waiter: asyncio.Future[float | None] | None = None) -> None:
        self._pending.append((t, waiter))

    def answered(self, t: float) -> float | None:
        if not self._pending:
            return None
        sent_t, waiter = self._pending.popleft()
        rtt = max(0.0, t - sent_t)
        if waiter is not None and not waiter.done():
            waiter.set_result(rtt)
        return rtt

    def cancel_all(self) -> None:
        """Resolve every outstanding waiter with ``None`` (the connection closed)."""
        while self._pending:
            _, waiter = self._pending.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    @property
    def outstanding(self) -> int:
        return len(self._pending)


async def _ping_loop(every: float, ping_once: Callable[[], Awaitable[object]]) -> None:
    """Call ``ping_once``, then again every ``every`` seconds until cancelled; a failed ping
    (connection closing) ends the loop quietly because the reader task reports the close."""
    while True:
        try:
            await ping_once()
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection is going away; the reader task records the close
            return
        await asyncio.sleep(every)


class PingSchedule:
    """RTT samples every ``every`` seconds on one socket, the first one ``every`` seconds after
    it opened. That first wait is a timer rather than a task: a session that closes before its
    first sample (a fan-out's thousand sessions, each a few seconds long) never makes the task,
    and opening it costs one timer. ``stop()`` ends it either way; ``task`` is the sampling
    task once it runs (``None`` before)."""

    __slots__ = ("_every", "_ping_once", "_timer", "task")

    def __init__(self, every: float, ping_once: Callable[[], Awaitable[object]]) -> None:
        self._every = every
        self._ping_once = ping_once
        self.task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = asyncio.get_running_loop().call_later(
            every, self._start
        )

    def _start(self) -> None:
        self._timer = None
        self.task = asyncio.create_task(
            _ping_loop(self._every, self._ping_once), name="netra-pinger"
        )

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.task is not None:
            self.task.cancel()


def note_pong(conn: Connection, te: TimedEvent) -> None:
    """An app-level ``pong``: the answer to the oldest outstanding app ping (an RTT sample)."""
    conn._last_pong_t = te.t
    rtt = conn._app_pings.answered(te.t)
    if rtt is not None:
        conn.rtt_ms.append(rtt * 1e3)
        conn.mark("ping_rtt", {"kind": "app", "rtt_ms": rtt * 1e3})


async def answer_liveness(conn: Connection, ws: StampedConnection, te: TimedEvent) -> None:
    """Use a ``pong`` as an RTT sample; answer a server ``heartbeat`` with ``heartbeat_ack`` as
    the web front end does (PROTOCOL.md §6)."""
    etype = te.event.type
    if etype == "pong":
        note_pong(conn, te)
    elif etype == "heartbeat":
        # As the web front end does (PROTOCOL.md §6): answer heartbeat with heartbeat_ack.
        ack = json.dumps({"type": "heartbeat_ack", "timestamp": conn._wall()})
        with contextlib.suppress(SessionClosed):
            await conn.send_text(ack, ws)
            conn.mark("heartbeat_answered", {})


async def sample_rtt(
    conn: Connection,
    timeout: float = 5.0,  # noqa: ASYNC109 - bounds the wait for both pongs
) -> tuple[float | None, float | None]:
    """One RTT sample of each kind: (WebSocket ping/pong ms, app-level ping/pong ms);
    ``None`` for a kind that got no answer within ``timeout``."""
    ws = conn._ws
    if ws is None:
        raise SessionClosed(*conn._closed_args())
    loop = asyncio.get_running_loop()
    app_waiter: asyncio.Future[float | None] = loop.create_future()
    t_ns, wall = conn.now()
    conn._app_pings.sent(t_ns / 1e9, app_waiter)
    await conn.send_text(json.dumps({"type": "ping", "timestamp": wall}), ws)
    try:
        pong_waiter = await ws.ping()
    except ConnectionClosed as exc:
        raise SessionClosed(*conn._closed_args()) from exc
    ws_ms: float | None = None
    app_ms: float | None = None
    try:
        async with asyncio.timeout(timeout):
            latency = await pong_waiter
            ws_ms = latency * 1e3
            conn._last_pong_t = conn.now()[0] / 1e9
            conn.rtt_ms.append(ws_ms)
            conn.mark("ping_rtt", {"kind": "ws", "rtt_ms": ws_ms})
            app_s = await app_waiter
            app_ms = None if app_s is None else app_s * 1e3
    except ConnectionClosed:
        pass
    except TimeoutError:
        conn.mark("ping_timeout", {"timeout_s": timeout, "ws_rtt_ms": ws_ms})
    return ws_ms, app_ms
