"""What a live session produces: timing marks, run records, outcomes, clock-offset estimates.

Plain frozen values with no I/O, so fan-out, replay and notebooks can build and compare them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

from netra_diag.closecodes import CloseInfo
from netra_diag.errors import RunTimeout, SessionClosed, SessionError
from netra_diag.events.model import Event, EventKind, TimedEvent

__all__ = [
    "LIVENESS_TYPES",
    "ClockOffset",
    "Mark",
    "RunOutcome",
    "RunRecord",
    "estimate_clock_offset",
    "new_mark",
]

# Frames the session consumes itself (answered or used for RTT); they go to the recording and to
# ``Session.all_events`` but not to ``async for`` consumers nor to ``RunRecord.events``.
LIVENESS_TYPES: frozenset[str] = frozenset({"pong", "heartbeat", "heartbeat_ack"})


@dataclass(frozen=True, slots=True)
class Mark:
    """A lifecycle instant: ``t`` seconds on the session's monotonic clock since it started,
    ``wall`` epoch seconds, ``data`` details (status, rtt_ms, code …)."""

    name: str
    t: float
    wall: float
    data: Mapping[str, Any] = field(default_factory=dict)


# A session makes several marks per connect (a fan-out, thousands per second): built through the
# slots' descriptors, as ``events.model.new_event`` does, instead of the frozen dataclass's
# ``__init__`` (one ``object.__setattr__`` call per field). A test compares the two.
_MARK_FIELDS = ("name", "t", "wall", "data")
assert tuple(f.name for f in fields(Mark)) == _MARK_FIELDS
_mark_name, _mark_t, _mark_wall, _mark_data = (Mark.__dict__[n].__set__ for n in _MARK_FIELDS)


def new_mark(name: str, t: float, wall: float, data: Mapping[str, Any]) -> Mark:
    """``Mark(name, t, wall, data)``, faster."""
    m: Mark = object.__new__(Mark)
    _mark_name(m, name)
    _mark_t(m, t)
    _mark_wall(m, wall)
    _mark_data(m, data)
    return m


class RunOutcome(StrEnum):
    """How a run ended."""

    COMPLETED = "completed"  # agent_completed or final_report
    AGENT_ERROR = "agent_error"  # agent_error / agent_death (normalised)
    TIMEOUT = "timeout"  # no terminal event within the run's timeout
    CLOSED = "closed"  # the connection closed before a terminal event
    ERROR = "error"  # an error frame (error / error_message) ended the run, or sending failed


@dataclass(frozen=True, slots=True)
class ClockOffset:
    """Server clock minus client wall clock, in seconds: median over events carrying a server
    timestamp, with ``spread_s`` the half inter-quartile range (0 for one sample)."""

    offset_s: float
    spread_s: float
    samples: int


def estimate_clock_offset(samples: Iterable[float]) -> ClockOffset | None:
    """Median of ``server_ts - wall`` samples; ``None`` without a finite sample."""
    values = sorted(v for v in samples if math.isfinite(v))
    if not values:
        return None
    median = statistics.median(values)
    if len(values) < 2:
        return ClockOffset(median, 0.0, 1)
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return ClockOffset(median, (q3 - q1) / 2, len(values))


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One request and everything that came back until a terminal event, a close or a timeout.

    ``events`` are the frames received during the run (liveness frames excluded: see
    ``LIVENESS_TYPES``), ``t`` relative to the session start, foreign ones included.
    ``foreign`` holds the positions in ``events`` of frames that belong to another thread, run
    or user (a leak, PROTOCOL.md §7; see ``live.runner``): they never bind, time or end the run,
    so ``own_events``, ``agent_events``, ``first_agent_event`` and ``terminal`` leave them out,
    while ``events`` and ``plain_events`` keep them for contract and isolation checks.
    ``marks`` are the run's own marks (``run_start``, ``message_sent``, ``first_event``,
    ``foreign_event``, ``terminal_event``, ``ping_rtt``, ``close``, ``run_end``). ``rtt_ms`` are
    the ping round trips sampled during the run. ``duration_s`` runs from ``message_sent`` to the
    end; ``first_event_s`` from ``message_sent`` to the first own agent event (``None`` when none
    came).
    """

    message: str
    outcome: RunOutcome
    events: tuple[TimedEvent, ...]
    marks: tuple[Mark, ...]
    started_t: float
    sent_t: float | None
    ended_t: float
    timeout_s: float
    run_id: str | None = None
    thread_id: str | None = None
    close: CloseInfo | None = None
    rtt_ms: tuple[float, ...] = ()
    error: str | None = None
    user_id: str | None = None
    foreign: tuple[int, ...] = ()

    @property
    def own_events(self) -> tuple[TimedEvent, ...]:
        """``events`` without the foreign ones."""
        if not self.foreign:
            return self.events
        skip = frozenset(self.foreign)
        return tuple(e for i, e in enumerate(self.events) if i not in skip)

    @property
    def foreign_events(self) -> tuple[TimedEvent, ...]:
        """Events of another thread, run or user received during this run (leaks)."""
        n = len(self.events)
        return tuple(self.events[i] for i in self.foreign if 0 <= i < n)

    @property
    def duration_s(self) -> float:
        start = self.sent_t if self.sent_t is not None else self.started_t
        return max(0.0, self.ended_t - start)

    @property
    def first_event_s(self) -> float | None:
        first = self.first_agent_event
        if first is None:
            return None
        start = self.sent_t if self.sent_t is not None else self.started_t
        return max(0.0, first.t - start)

    @property
    def first_agent_event(self) -> TimedEvent | None:
        for ev in self.own_events:
            if ev.event.kind in (EventKind.AGENT, EventKind.ERROR):
                return ev
        return None

    @property
    def agent_events(self) -> tuple[TimedEvent, ...]:
        """Own agent events only (``agent_started`` … ``agent_completed``, errors), in arrival
        order; foreign (leaked) ones are in ``foreign_events``."""
        return tuple(e for e in self.own_events if e.event.kind is EventKind.AGENT)

    @property
    def plain_events(self) -> tuple[Event, ...]:
        """``events`` without timing, foreign ones included (a leak must fail the contract),
        for ``netra_diag.events.contracts.check_run``."""
        return tuple(e.event for e in self.events)

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(e.type for e in self.events)

    @property
    def terminal(self) -> str | None:
        for ev in reversed(self.own_events):
            if ev.event.is_terminal or ev.type == "agent_death":
                return ev.type
        return None

    @property
    def ok(self) -> bool:
        return self.outcome is RunOutcome.COMPLETED

    def mark(self, name: str) -> Mark | None:
        """The first mark called ``name``, or ``None``."""
        for m in self.marks:
            if m.name == name:
                return m
        return None

    def raise_for_outcome(self) -> None:
        """Opt-in raising: ``RunTimeout`` for a timeout, ``SessionClosed`` for a close,
        ``SessionError`` for an error or agent error; nothing for a completed run."""
        if self.outcome is RunOutcome.COMPLETED:
            return
        if self.outcome is RunOutcome.TIMEOUT:
            last = self.events[-1].type if self.events else None
            raise RunTimeout(self.timeout_s, last)
        if self.outcome is RunOutcome.CLOSED:
            close = self.close
            if close is None:
                raise SessionClosed(None, "", "connection closed during the run")
            raise SessionClosed(close.code, close.reason, close.explanation())
        raise SessionError(f"run ended with {self.outcome}: {self.error or self.terminal or ''}")

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (counts, timings, outcome, close)."""
        return {
            "message_chars": len(self.message),
            "outcome": str(self.outcome),
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "user_id": self.user_id,
            "n_events": len(self.events),
            "n_foreign": len(self.foreign),
            "types": list(self.types),
            "terminal": self.terminal,
            "duration_s": self.duration_s,
            "first_event_s": self.first_event_s,
            "rtt_ms": list(self.rtt_ms),
            "error": self.error,
            "close": self.close.to_dict() if self.close else None,
        }
