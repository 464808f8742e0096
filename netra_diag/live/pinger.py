"""Round-trip-time sampling in the background: app-level ``{"type": "ping"}`` frames answered by the
service's ``pong`` (PROTOCOL.md §4) and WebSocket ping frames answered by the peer's pong
(RFC 6455 §5.5.2). Both are timed on the session's monotonic clock.

App-level pongs carry no reliable correlation id across service generations, so outstanding app
pings are matched first-in first-out (the service answers them in order on one connection).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["AppPingTracker", "run_pinger"]


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


async def run_pinger(every: float, ping_once: Callable[[], Awaitable[object]]) -> None:
    """Call ``ping_once`` every ``every`` seconds until cancelled; a failed ping (connection
    closing) ends the loop quietly because the reader task reports the close."""
    while True:
        await asyncio.sleep(every)
        try:
            await ping_once()
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection is going away; the reader task records the close
            return
