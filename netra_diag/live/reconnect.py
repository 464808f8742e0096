"""Reconnection policy: exponential backoff with jitter, as the web front end does it
(PROTOCOL.md §6: from 1 s, cap 10–30 s, jitter, at most 10 attempts, never after 1008)."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netra_diag.closecodes import AUTH_FAILURE_CODES, AUTH_REFUSED_STATUSES
from netra_diag.errors import ConnectFailed, HandshakeRejected, SessionClosed, UsageError
from netra_diag.live.opening import open_connection

if TYPE_CHECKING:
    from netra_diag.live.connection import Connection

__all__ = ["ReconnectPolicy", "reopen"]


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """``delay(n) = min(cap, initial * factor**n) * (1 ± jitter)`` for attempt ``n`` (0-based),
    at most ``max_attempts`` attempts. ``seed`` makes the jitter reproducible."""

    initial: float = 1.0
    factor: float = 2.0
    cap: float = 10.0
    jitter: float = 0.2
    max_attempts: int = 10
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("initial", "factor", "cap", "jitter"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UsageError(f"ReconnectPolicy.{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise UsageError(f"ReconnectPolicy.{name} must be finite and >= 0, got {value}")
        if self.factor < 1:
            raise UsageError(f"ReconnectPolicy.factor must be >= 1, got {self.factor}")
        if self.jitter >= 1:
            raise UsageError(f"ReconnectPolicy.jitter must be below 1, got {self.jitter}")
        if isinstance(self.max_attempts, bool) or self.max_attempts < 0:
            raise UsageError(f"ReconnectPolicy.max_attempts must be >= 0, got {self.max_attempts}")

    def delays(self) -> Iterator[float]:
        """The delay before each attempt, ``max_attempts`` of them."""
        rng = random.Random(self.seed)
        for attempt in range(self.max_attempts):
            base = min(self.cap, self.initial * self.factor**attempt)
            spread = rng.uniform(-self.jitter, self.jitter) if self.jitter else 0.0
            yield max(0.0, base * (1.0 + spread))

    @staticmethod
    def should_reconnect(close_code: int | None) -> bool:
        """False after an authentication failure (1008) or a normal close (1000)."""
        if close_code is None:
            return True
        return close_code not in AUTH_FAILURE_CODES and close_code != 1000


async def reopen(conn: Connection, policy: ReconnectPolicy) -> None:
    """Reconnect ``conn`` with backoff and a fresh token per attempt (each attempt calls the
    token factory); stop at an authentication failure (HTTP 401/403 or close 1008)."""
    last: Exception | None = None
    for attempt, delay in enumerate(policy.delays(), start=1):
        conn.mark("reconnect_attempt", {"attempt": attempt, "delay_s": delay})
        await asyncio.sleep(delay)
        conn._ws = None
        try:
            await open_connection(conn)
        except HandshakeRejected as exc:
            if exc.status in AUTH_REFUSED_STATUSES:
                raise
            last = exc
        except SessionClosed as exc:
            if exc.code in AUTH_FAILURE_CODES:
                raise
            last = exc
        except ConnectFailed as exc:
            last = exc
        else:
            conn.reconnects += 1
            conn.mark("reconnected", {"attempt": attempt, "transport": conn.transport})
            return
    raise last or ConnectFailed(conn.url, "reconnect policy allows no attempts")
