"""The openings of a recorded session: which transports each tried, which one was kept.

``netra-diag probe``/``fanout`` with ``--transport auto`` try header, subprotocol, query and ticket
in turn (PROTOCOL.md §2) and keep the first attempt whose server user matches the token's sub,
else the first that connected. Every attempt is recorded: a ``connect_start`` mark (``attempt``
counts from 1 at each opening, reconnects included), its frames (the refused one's
``AUTH_FAILED`` error frame), its ``close`` mark, and a ``transport_attempt`` mark with its
``outcome``. The attempts that were not kept are the opening's search, not the session: the event
contract judges the session without them, as the live client does (``Session.own_history``). An
opening none of whose attempts connected is how the session ended (``failed_openings``).

Pure: marks in, attempts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CONNECTED_OUTCOMES",
    "REFUSED_OUTCOMES",
    "Attempt",
    "abandoned_attempt_windows",
    "failed_openings",
    "in_windows",
    "openings",
]

# ``transport_attempt`` outcomes (live.opening writes them): an attempt that connected, and one
# that was refused (``rejected``: an HTTP status other than 101; ``closed``: accepted, then
# closed before being established; ``failed``: no answer, or no ticket).
CONNECTED_OUTCOMES = frozenset({"validated", "bypass", "unverified"})
REFUSED_OUTCOMES = frozenset({"rejected", "closed", "failed"})


@dataclass(frozen=True)
class Attempt:
    """One recorded attempt: from its ``connect_start`` to its ``transport_attempt`` mark
    (``end``/``outcome`` None when the recording stops before the latter)."""

    start: float
    end: float | None = None
    outcome: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def connected(self) -> bool:
        return self.outcome in CONNECTED_OUTCOMES


def _attempt_number(data: Any) -> int | None:
    value = data.get("attempt") if isinstance(data, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def openings(marks: Sequence[Any]) -> list[list[Attempt]]:
    """The attempts of each opening, in order. ``marks``: objects with ``name``, ``t`` and
    ``data``, in any order."""
    found: list[list[Attempt]] = []
    for mark in sorted(marks, key=lambda m: m.t):
        if mark.name == "connect_start":
            number = _attempt_number(mark.data)
            if number is None or number == 1 or not found:
                found.append([])
            found[-1].append(Attempt(mark.t))
        elif mark.name == "transport_attempt" and found and found[-1]:
            last = found[-1][-1]
            if last.end is None:
                data = mark.data if isinstance(mark.data, Mapping) else {}
                outcome = data.get("outcome")
                found[-1][-1] = Attempt(
                    last.start, mark.t, outcome if isinstance(outcome, str) else None, data
                )
    return found


def _kept(attempts: Sequence[Attempt]) -> int:
    outcomes = [a.outcome for a in attempts]
    if "validated" in outcomes:
        return outcomes.index("validated")
    return next((i for i, a in enumerate(attempts) if a.connected), -1)


def abandoned_attempt_windows(marks: Sequence[Any]) -> tuple[tuple[float, float], ...]:
    """``(start, end)`` client times (seconds) of every attempt an opening did not keep, for
    openings where some attempt connected and was kept; an opening whose every attempt failed
    keeps them all (they are how the session ended)."""
    windows: list[tuple[float, float]] = []
    for attempts in openings(marks):
        if len(attempts) < 2:
            continue
        kept = _kept(attempts)
        if kept < 0:
            continue
        windows.extend(
            (a.start, a.end) for i, a in enumerate(attempts) if i != kept and a.end is not None
        )
    return tuple(windows)


def failed_openings(marks: Sequence[Any]) -> list[list[Attempt]]:
    """The openings none of whose recorded attempts connected (each finished: it has its
    ``transport_attempt`` mark)."""
    return [
        attempts
        for attempts in openings(marks)
        if attempts and all(a.outcome is not None for a in attempts) and _kept(attempts) < 0
    ]


def in_windows(t: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(start <= t <= end for start, end in windows)
