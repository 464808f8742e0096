"""The openings of a recorded session: which transports each tried, which one was kept.

``netra-diag probe``/``fanout`` with ``--transport auto`` try header, subprotocol, query and ticket
in turn (PROTOCOL.md §2) and keep the first attempt whose server user matches the token's sub,
else the first that connected. Every attempt is recorded: a ``connect_start`` mark (``attempt``
counts from 1 at each opening, reconnects included), its frames (the refused one's
``AUTH_FAILED`` error frame), its ``close`` mark, and a ``transport_attempt`` mark with its
``outcome``. The attempts that were not kept are the opening's search, not the session: the event
contract judges the session without them, as the live client does (``Session.own_history``). An
opening none of whose attempts connected is how the session ended (``failed_openings``).

The one grouping of a cassette's attempts into openings (``OpeningTracker``): the event contract
reads it here, and ``latency.openings`` follows the same tracker to say which connection rows
each attempt owns. An opening begins at a ``connect_start`` whose ``attempt`` is 1 (or missing),
and ends at the next such mark or at a mark that never falls inside one (``OUTSIDE_OPENINGS``).
A ``transport_attempt`` mark settles the attempt under way; one without a ``connect_start`` of its
own (the ticket request failed before any socket) is an attempt of its own, without a socket. A
mark whose ``outcome`` is none of the six documented (docs/cassette-format.md) settles nothing:
nothing says whether that attempt got in.

Pure: marks in, attempts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "CONNECTED_OUTCOMES",
    "OUTSIDE_OPENINGS",
    "REFUSED_OUTCOMES",
    "Attempt",
    "OpeningTracker",
    "abandoned_attempt_windows",
    "failed_openings",
    "in_windows",
    "keeps_over",
    "kept_index",
    "openings",
]

# ``transport_attempt`` outcomes (live.opening writes them): an attempt that connected, and one
# that was refused (``rejected``: an HTTP status other than 101; ``closed``: accepted, then
# closed before being established; ``failed``: no answer, or no ticket).
CONNECTED_OUTCOMES = frozenset({"validated", "bypass", "unverified"})
REFUSED_OUTCOMES = frozenset({"rejected", "closed", "failed"})
_KNOWN_OUTCOMES = CONNECTED_OUTCOMES | REFUSED_OUTCOMES

# Marks that never fall inside an opening: whatever attempt follows them opens a new one.
OUTSIDE_OPENINGS = frozenset(
    {
        "run_start",
        "message_sent",
        "run_end",
        "reconnect_attempt",
        "reconnected",
        "reconnect_skipped",
        "first_event",
        "terminal_event",
    }
)


@dataclass(frozen=True)
class Attempt:
    """One recorded attempt: from its ``connect_start`` (``start``) to its ``transport_attempt``
    mark (``end``; ``end``/``outcome`` None until that mark, and when the recording stops before
    it). ``data`` is that mark's, ``transport`` the one the attempt started with. Without a
    ``socket`` (its ticket request failed first: no ``connect_start``) it starts at that mark."""

    start: float
    end: float | None = None
    outcome: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    transport: str = "?"
    socket: bool = True

    @property
    def connected(self) -> bool:
        return self.outcome in CONNECTED_OUTCOMES

    @property
    def settled(self) -> bool:
        """Whether its ``transport_attempt`` mark was seen."""
        return self.outcome is not None


def _attempt_number(data: Mapping[str, Any]) -> int | None:
    value = data.get("attempt")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _transport(data: Mapping[str, Any]) -> str:
    return str(data.get("transport") or "?")


class OpeningTracker:
    """Groups one cassette's attempts into openings, fed its marks one at a time in order
    (module docstring). ``so_far`` holds the attempts of each opening seen, the last one
    possibly under way. A subclass that keeps more per attempt follows along through the
    ``_opening_began``, ``_attempt_began`` and ``_attempt_settled`` hooks."""

    def __init__(self) -> None:
        self.so_far: list[list[Attempt]] = []
        self._under_way = False

    @property
    def under_way(self) -> bool:
        """Whether the last opening in ``so_far`` may still get attempts."""
        return self._under_way

    def feed(self, name: str, t: float, data: Mapping[str, Any]) -> None:
        """The mark ``name`` at ``t`` with its ``data``: the one place that says which marks
        matter to openings."""
        if name == "connect_start":
            number = _attempt_number(data)
            if number is None or number <= 1 or not self._under_way:
                self._begin_opening()
            self._begin_attempt(Attempt(t, transport=_transport(data)))
        elif name == "transport_attempt":
            outcome = data.get("outcome")
            if outcome not in _KNOWN_OUTCOMES:
                return  # an outcome this reader does not know: the attempt stays unsettled
            if not self._under_way:
                self._begin_opening()
            attempts = self.so_far[-1]
            if not attempts or attempts[-1].settled:
                # No connect_start of its own (the ticket request failed first): same opening.
                self._begin_attempt(Attempt(t, transport=_transport(data), socket=False))
            attempts[-1] = replace(attempts[-1], end=t, outcome=str(outcome), data=data)
            self._attempt_settled(attempts[-1])
        elif name in OUTSIDE_OPENINGS:
            self._under_way = False

    def _begin_opening(self) -> None:
        self.so_far.append([])
        self._under_way = True
        self._opening_began()

    def _begin_attempt(self, attempt: Attempt) -> None:
        self.so_far[-1].append(attempt)
        self._attempt_began(attempt)

    # Hooks, called after the change they name (the attempt is the last of ``so_far[-1]``).
    def _opening_began(self) -> None:
        pass

    def _attempt_began(self, attempt: Attempt) -> None:
        pass

    def _attempt_settled(self, attempt: Attempt) -> None:
        pass


def openings(marks: Sequence[Any]) -> list[list[Attempt]]:
    """The attempts of each opening, in order. ``marks``: objects with ``name``, ``t`` and
    ``data``, in any order."""
    tracker = OpeningTracker()
    for mark in sorted(marks, key=lambda m: m.t):
        data = mark.data if isinstance(mark.data, Mapping) else {}
        tracker.feed(mark.name, mark.t, data)
    return tracker.so_far


def keeps_over(kept: Attempt | None, attempt: Attempt) -> bool:
    """Whether auto keeps ``attempt``'s socket rather than ``kept`` (the attempt of the same
    opening kept so far, None for none): the first validated socket, else the first that
    connected at all."""
    if not attempt.connected:
        return False
    return kept is None or (attempt.outcome == "validated" and kept.outcome != "validated")


def kept_index(attempts: Sequence[Attempt]) -> int:
    """The index of the attempt auto kept in one opening, -1 when none connected."""
    kept = -1
    for i, attempt in enumerate(attempts):
        if keeps_over(attempts[kept] if kept >= 0 else None, attempt):
            kept = i
    return kept


def _socket_openings(marks: Sequence[Any]) -> list[list[Attempt]]:
    """Each opening as the attempts that opened a socket: the contract judges frames and closes,
    and an attempt without a socket (a ticket request that failed) has none of its own; the
    marks of that request say how it failed."""
    return [[a for a in attempts if a.socket] for attempts in openings(marks)]


def abandoned_attempt_windows(marks: Sequence[Any]) -> tuple[tuple[float, float], ...]:
    """``(start, end)`` client times (seconds) of every attempt an opening did not keep, for
    openings where some attempt connected and was kept; an opening whose every attempt failed
    keeps them all (they are how the session ended). Attempts without a socket take no part."""
    windows: list[tuple[float, float]] = []
    for attempts in _socket_openings(marks):
        kept = kept_index(attempts)
        if len(attempts) < 2 or kept < 0:
            continue
        windows.extend(
            (a.start, a.end) for i, a in enumerate(attempts) if i != kept and a.end is not None
        )
    return tuple(windows)


def failed_openings(marks: Sequence[Any]) -> list[list[Attempt]]:
    """The openings none of whose recorded attempts connected (each finished: it has its
    ``transport_attempt`` mark), each as the attempts that opened a socket; an opening of none
    (only a ticket request that failed) is not listed."""
    return [
        attempts
        for attempts in _socket_openings(marks)
        if attempts and all(a.settled for a in attempts) and kept_index(attempts) < 0
    ]


def in_windows(t: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(start <= t <= end for start, end in windows)
