"""Which parts of a recorded session belong to transports ``auto`` tried and did not keep.

``netra-diag probe``/``fanout`` with ``--transport auto`` try header, subprotocol, query and ticket
in turn (PROTOCOL.md §2) and keep the first attempt whose server user matches the token's sub,
else the first that connected. Every attempt is recorded: a ``connect_start`` mark (``attempt``
counts from 1 at each opening, reconnects included), its frames (the refused one's
``AUTH_FAILED`` error frame), its ``close`` mark, and a ``transport_attempt`` mark with its
``outcome``. The attempts that were not kept are the opening's search, not the session: the event
contract judges the session without them, as the live client does (``Session.own_history``).

Pure: marks in, time windows out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CONNECTED_OUTCOMES", "abandoned_attempt_windows", "in_windows"]

# ``transport_attempt`` outcomes of an attempt that connected (live.opening).
CONNECTED_OUTCOMES = frozenset({"validated", "bypass", "unverified"})


def _attempt_number(data: Any) -> int | None:
    value = data.get("attempt") if isinstance(data, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def abandoned_attempt_windows(marks: Sequence[Any]) -> tuple[tuple[float, float], ...]:
    """``(start, end)`` client times (seconds) of every attempt an opening did not keep, for
    openings where some attempt connected and was kept; an opening whose every attempt failed
    keeps them all (they are how the session ended). ``marks``: objects with ``name``, ``t`` and
    ``data``, in any order."""
    ordered = sorted(marks, key=lambda m: m.t)
    openings: list[list[tuple[float, float | None, str | None]]] = []
    for mark in ordered:
        if mark.name == "connect_start":
            number = _attempt_number(mark.data)
            if number is None or number == 1 or not openings:
                openings.append([])
            openings[-1].append((mark.t, None, None))
        elif mark.name == "transport_attempt" and openings and openings[-1]:
            start, end, _ = openings[-1][-1]
            if end is None:
                outcome = mark.data.get("outcome") if isinstance(mark.data, Mapping) else None
                openings[-1][-1] = (start, mark.t, outcome if isinstance(outcome, str) else None)
    windows: list[tuple[float, float]] = []
    for attempts in openings:
        if len(attempts) < 2:
            continue
        outcomes = [outcome for _, _, outcome in attempts]
        if "validated" in outcomes:
            kept = outcomes.index("validated")
        else:
            kept = next((i for i, o in enumerate(outcomes) if o in CONNECTED_OUTCOMES), -1)
        if kept < 0:
            continue
        windows.extend(
            (start, end)
            for i, (start, end, _) in enumerate(attempts)
            if i != kept and end is not None
        )
    return tuple(windows)


def in_windows(t: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(start <= t <= end for start, end in windows)
