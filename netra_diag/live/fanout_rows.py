"""The rows of a fan-out: each user's tally while it runs (``UserState``) and the per-user and
per-run rows built from it, with their stable columns (``USER_COLUMNS``, ``RUN_COLUMNS``).

Pure: no sockets, no clock (times are passed in, relative to the fan-out start).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netra_diag.closecodes import ABNORMAL_CLOSURE
from netra_diag.errors import UsageError
from netra_diag.events.model import CRITICAL_EVENTS, TimedEvent
from netra_diag.live.records import LIVENESS_TYPES, RunOutcome, RunRecord
from netra_diag.redaction import scrub

if TYPE_CHECKING:
    from netra_diag.live.handshake import TransportAttempt

__all__ = [
    "INTERRUPTED",
    "NOT_ATTEMPTED",
    "NOT_SENT",
    "RUN_COLUMNS",
    "USER_COLUMNS",
    "UserState",
    "close_class",
    "critical_in_run",
    "error_text",
    "expected_critical_events",
    "failed_run_row",
    "full_user_id",
    "interrupted_row",
    "not_attempted_row",
    "not_sent_row",
    "not_started_row",
    "own_threads",
    "refused_attempts",
    "run_row",
    "user_ids_for",
    "user_row",
]

# The outcome of a run never sent because the user's connection had dropped already (a close
# the run before it reported): not a run that lost its events.
NOT_ATTEMPTED = "not_attempted"
# The run in flight when the fan-out was interrupted (Ctrl-C, SIGTERM), and the runs never sent
# because of it: the user stopped them, so nothing is counted lost for them and they are no
# error class.
INTERRUPTED = "interrupted"
NOT_SENT = "not_sent"

USER_COLUMNS: tuple[str, ...] = (
    "user",
    "index",
    "token_fingerprint",
    "server_user_id",
    "transport",
    "intended_start_s",
    "actual_start_s",
    "start_lag_ms",
    "connect_ms",
    "connected",
    "runs_completed",
    "error_class",
    "error",
    "auth_refused",
    "cassette",
)
RUN_COLUMNS: tuple[str, ...] = (
    "user",
    "run",
    "outcome",
    "run_id",
    "thread_id",
    "intended_start_s",
    "start_s",
    "first_event_ms",
    "duration_ms",
    "n_events",
    "critical_received",
    "critical_expected",
    "events_lost",
    "terminal",
    "close_code",
    "error_class",
    "error",
)


def expected_critical_events(events: Sequence[TimedEvent]) -> int:
    """A lower bound on the critical events a run should have had, from the run itself, for when
    the service's script is not known: ``agent_started`` and ``agent_completed``, one tool pair
    per tool in ``agent_completed``'s ``tools_used`` (or per tool seen), and as many thinking
    steps as the highest ``step_number`` seen. A lost event that leaves no trace (the last
    thinking step of a run whose completion was lost too) is not counted."""
    types = [e.type for e in events]
    thinking = [e for e in events if e.type == "agent_thinking"]
    steps = [
        int(s)
        for s in (e.event.get("step_number") for e in thinking)
        if isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s)
    ]
    n_think = max([len(thinking), *steps, 1])
    tools = max(types.count("tool_executing"), types.count("tool_completed"))
    for e in events:
        if e.type == "agent_completed":
            used = e.event.get("tools_used")
            if isinstance(used, list):
                tools = max(tools, len(used))
    return 2 + n_think + 2 * tools


@dataclass
class UserState:
    """One user's tally while the fan-out runs (times in seconds since the fan-out started)."""

    user: str
    index: int
    intended_s: float
    token_fp: str = ""
    actual_s: float | None = None
    connected_s: float | None = None
    server_user_id: str | None = None
    transport: str | None = None
    error_class: str | None = None
    error: str | None = None
    # How the server refused this user's credentials (``auth_verdict.auth_refusal``), if it did.
    auth_refused: str | None = None
    # Transports ``auto`` tried and the server refused before the one kept ("header: closed
    # 1008"): the kept socket is what is judged, these are said apart.
    refused_first: tuple[str, ...] = ()
    # The id the server let this user in as when it was not the token's sub (permissive auth:
    # demo-user-001, relaxed_<n>): the token was not validated (``AuthVerdict.bypass``).
    bypassed_as: str | None = None
    # The session's ``establish_timeout`` marks (a handshake_complete it waited for in vain).
    establish_timeouts: list[Any] = field(default_factory=list)
    cassette: str | None = None
    # The fan-out was interrupted (Ctrl-C) before this user was done: runs it never got to are
    # ``NOT_SENT``, not lost, and a connect it never finished is no connect failure.
    interrupted: bool = False
    thread_id: str = ""
    contents: list[str] = field(default_factory=list)
    records: list[RunRecord] = field(default_factory=list)
    run_rows: list[dict[str, Any]] = field(default_factory=list)
    events: list[TimedEvent] = field(default_factory=list)


def refused_attempts(attempts: Sequence[TransportAttempt]) -> tuple[str, ...]:
    """The attempts of a session's last opening that the server refused before the one kept
    (``auto``), as ``"header: closed 1008"`` / ``"ticket: rejected HTTP 403"``."""
    out: list[str] = []
    for attempt in attempts:
        if attempt.outcome in ("validated", "bypass", "unverified"):
            break
        how = attempt.outcome
        if attempt.close_code is not None:
            how += f" {attempt.close_code}"
        elif attempt.status is not None:
            how += f" HTTP {attempt.status}"
        out.append(f"{attempt.transport}: {how}")
    return tuple(out)


_GOING_AWAY = 1001


def close_class(code: int | None) -> str:
    """How a run's connection ended, as an error class: ``closed 1011``, for no close frame at
    all ``closed 1006 (no close frame: server gone)``, and ``closed 1001 (going away: server
    shut down)`` (RFC 6455 §7.4.1, PROTOCOL.md §6)."""
    if code is None or code == ABNORMAL_CLOSURE:
        return f"closed {ABNORMAL_CLOSURE} (no close frame: server gone)"
    if code == _GOING_AWAY:
        # (the server shutting down cleanly: `serve` stopped, a restart, a deploy)
        return f"closed {_GOING_AWAY} (going away: server shut down)"
    return f"closed {code}"


def error_text(exc: BaseException) -> str:
    """A failure's text for a row: session errors are scrubbed already; this keeps a token out
    of an error from elsewhere."""
    return scrub(str(exc)) or type(exc).__name__


def user_row(st: UserState) -> dict[str, Any]:
    """One ``USER_COLUMNS`` row."""
    connect_ms = None
    if st.connected_s is not None and st.actual_s is not None:
        connect_ms = (st.connected_s - st.actual_s) * 1e3
    return {
        "user": st.user,
        "index": st.index,
        "token_fingerprint": st.token_fp or None,
        "server_user_id": st.server_user_id,
        "transport": st.transport,
        "intended_start_s": st.intended_s,
        "actual_start_s": st.actual_s,
        "start_lag_ms": None
        if st.actual_s is None
        else max(0.0, (st.actual_s - st.intended_s) * 1e3),
        "connect_ms": connect_ms,
        "connected": st.connected_s is not None,
        "runs_completed": sum(r.outcome is RunOutcome.COMPLETED for r in st.records),
        "error_class": st.error_class,
        "error": st.error,
        "auth_refused": st.auth_refused,
        "cassette": st.cassette,
    }


def own_threads(st: UserState) -> list[str]:
    """The threads this user created (isolation: events of other threads are foreign)."""
    threads = {st.thread_id} if st.thread_id else set()
    threads.update(r.thread_id for r in st.records if r.thread_id)
    return sorted(threads)


def critical_in_run(record: RunRecord, thread_id: str) -> tuple[int, list[TimedEvent]]:
    """Critical events of this user's own run (a leaked event of another user's run is not one
    of ours, and must not hide a loss)."""
    own = [
        e
        for e in record.own_events
        if e.type in CRITICAL_EVENTS and e.event.thread_id in (None, thread_id)
    ]
    return len(own), own


def run_row(
    st: UserState, r: int, start: float, record: RunRecord, expected_events: int | None
) -> dict[str, Any]:
    """One ``RUN_COLUMNS`` row for a run that returned a record."""
    received, own = critical_in_run(record, st.thread_id)
    expected = expected_events if expected_events is not None else expected_critical_events(own)
    first = record.first_event_s
    return {
        "user": st.user,
        "run": r,
        "outcome": str(record.outcome),
        "run_id": record.run_id,
        "thread_id": record.thread_id,
        "intended_start_s": st.intended_s,
        "start_s": start,
        "first_event_ms": None if first is None else first * 1e3,
        "duration_ms": record.duration_s * 1e3,
        "n_events": len(record.events),
        "critical_received": received,
        "critical_expected": expected,
        "events_lost": max(0, expected - received),
        "terminal": record.terminal,
        "close_code": record.close.code if record.close is not None else None,
        "error_class": None if record.ok else _run_error_class(record),
        "error": record.error,
    }


def _run_error_class(record: RunRecord) -> str:
    if record.outcome is RunOutcome.CLOSED:
        return close_class(record.close.code if record.close is not None else None)
    return str(record.outcome)


def failed_run_row(
    st: UserState, r: int, start: float, exc: BaseException, expected_events: int | None
) -> dict[str, Any]:
    """One ``RUN_COLUMNS`` row for a run that raised instead of returning a record."""
    return {
        "user": st.user,
        "run": r,
        "outcome": "error",
        "intended_start_s": st.intended_s,
        "start_s": start,
        "n_events": 0,
        "critical_received": 0,
        "critical_expected": expected_events,
        "events_lost": expected_events,
        "error_class": type(exc).__name__,
        "error": error_text(exc),
    }


def not_started_row(st: UserState, r: int, expected_events: int | None) -> dict[str, Any]:
    """One ``RUN_COLUMNS`` row for a run never started (the user never connected, or a run
    before it failed)."""
    return {
        "user": st.user,
        "run": r,
        "outcome": "not_started",
        "intended_start_s": st.intended_s,
        "n_events": 0,
        "critical_received": 0,
        "critical_expected": expected_events,
        "events_lost": expected_events,
        "error_class": st.error_class or "not_started",
        "error": st.error,
    }


def not_attempted_row(st: UserState, r: int, code: int | None) -> dict[str, Any]:
    """One ``RUN_COLUMNS`` row for a run never sent because the user's connection had been closed
    (``code``) by then: nothing was expected of it, so nothing is counted lost."""
    return {
        "user": st.user,
        "run": r,
        "outcome": NOT_ATTEMPTED,
        "intended_start_s": st.intended_s,
        "n_events": 0,
        "critical_received": 0,
        "critical_expected": 0,
        "events_lost": 0,
        "close_code": code,
        "error_class": NOT_ATTEMPTED,
        "error": f"not attempted: the connection had {close_class(code)}",
    }


def interrupted_row(
    st: UserState, r: int, start: float, received: Sequence[TimedEvent]
) -> dict[str, Any]:
    """One ``RUN_COLUMNS`` row for the run in flight when the fan-out was interrupted, from the
    frames it had received by then: they are counted as received, and as all that was expected
    of it (it was stopped, not failed: nothing is lost). ``run_id`` names the run, so that the
    contract findings only its cut (no terminal event yet) are not counted as errors."""
    events = [e for e in received if e.type not in LIVENESS_TYPES]
    own = [
        e for e in events if e.type in CRITICAL_EVENTS and e.event.thread_id in (None, st.thread_id)
    ]
    run_id = next((e.event.run_id for e in own if e.event.run_id), None)
    return {
        "user": st.user,
        "run": r,
        "outcome": INTERRUPTED,
        "run_id": run_id,
        "thread_id": st.thread_id or None,
        "intended_start_s": st.intended_s,
        "start_s": start,
        "n_events": len(events),
        "critical_received": len(own),
        "critical_expected": len(own),
        "events_lost": 0,
        "error_class": INTERRUPTED,
        "error": f"interrupted in flight, after {len(events)} events",
    }


def not_sent_row(st: UserState, r: int) -> dict[str, Any]:
    """One ``RUN_COLUMNS`` row for a run never sent because the fan-out was interrupted first
    (the user not started, still connecting, or busy with an earlier run)."""
    return {
        "user": st.user,
        "run": r,
        "outcome": NOT_SENT,
        "intended_start_s": st.intended_s,
        "n_events": 0,
        "critical_received": 0,
        "critical_expected": 0,
        "events_lost": 0,
        "error_class": NOT_SENT,
        "error": "not sent: the fan-out was interrupted first",
    }


def full_user_id(shown: str | None, events: Sequence[TimedEvent]) -> str | None:
    """``shown`` as the agent events spell it: ``connection_established`` truncates the id to 8
    characters and "..." (PROTOCOL.md §5), and "demo-use..." names no mode."""
    if shown is None or not shown.endswith("..."):
        return shown
    prefix = shown.removesuffix("...")
    for item in events:
        uid = item.event.user_id
        if uid is not None and uid.startswith(prefix) and not uid.endswith("..."):
            return uid
    return shown


def user_ids_for(users: int | Sequence[str]) -> list[str]:
    if isinstance(users, int):
        if users < 1:
            raise UsageError(f"users must be >= 1, got {users}")
        width = max(4, len(str(users - 1)))
        return [f"fanout-user-{i:0{width}d}" for i in range(users)]
    ids = [str(u) for u in users]
    if not ids:
        raise UsageError("users must name at least one user")
    dupes = sorted(u for u, n in Counter(ids).items() if n > 1)
    if dupes:
        raise UsageError(f"user ids must be unique; repeated: {', '.join(dupes[:5])}")
    return ids
