"""One run on a live connection: send, collect until terminal / close / error / timeout, and
build the ``RunRecord``. ``asyncio.timeout`` wraps everything (waiting for a reconnect and
sending included), so a run never outlives its timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from netra_diag.errors import SessionClosed
from netra_diag.events.model import Event, EventKind, TimedEvent
from netra_diag.live.connection import CLOSED, Connection
from netra_diag.live.records import RunOutcome, RunRecord

__all__ = ["ERROR_GRACE_S", "execute_run"]

# After an error frame, wait this long for the close that usually follows (1008, 1011) so the
# outcome says "closed 1011" rather than a bare "error".
ERROR_GRACE_S = 0.5
_COMPLETED = frozenset({"agent_completed", "final_report"})
_FAILED = frozenset({"agent_error", "agent_death"})
_TERMINAL = _COMPLETED | _FAILED


def _belongs(ev: Event, thread_id: str | None, run_id: str | None) -> bool:
    """A terminal event ends this run unless it names another thread or run."""
    if thread_id and ev.thread_id and ev.thread_id != thread_id:
        return False
    return not (run_id and ev.run_id and ev.run_id != run_id)


def _error_text(ev: Event) -> str:
    code = ev.error_code
    msg = ev.get("error_message") or ev.get("message") or ev.get("error") or ""
    return f"{code}: {msg}" if code else str(msg) or ev.type


async def execute_run(
    conn: Connection,
    message: str,
    send: Callable[[], Awaitable[dict[str, Any]]],
    *,
    timeout: float,  # noqa: ASYNC109 - the run's budget, applied with asyncio.timeout
) -> RunRecord:
    """Run one request on ``conn``; see ``Session.run``."""
    while not conn.queue.empty():
        stale = conn.queue.get_nowait()
        if stale is CLOSED and conn.closed_for_good():
            conn.queue.put_nowait(CLOSED)
            break
    first_mark = len(conn.marks)
    first_rtt = len(conn.rtt_ms)
    start = conn.mark("run_start", {"chars": len(message)})
    events: list[TimedEvent] = []
    outcome: RunOutcome | None = None  # set on every path below
    error: str | None = None
    sent_t: float | None = None
    thread_id: str | None = None
    run_id: str | None = None
    saw_first = False
    error_deadline: float | None = None
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            if conn.closed_for_good():
                raise SessionClosed(*conn._closed_args())
            await conn._open_event.wait()
            n_marks = len(conn.marks)
            sent = await send()
            sent_t = next(m.t for m in conn.marks[n_marks:] if m.name == "message_sent")
            body = sent.get("payload") if isinstance(sent.get("payload"), dict) else sent
            thread_id = body.get("thread_id") if isinstance(body, dict) else None
            run_id = body.get("run_id") if isinstance(body, dict) else None
            while outcome is None:
                if error_deadline is not None:
                    remaining = error_deadline - loop.time()
                    if remaining <= 0:
                        outcome = RunOutcome.ERROR
                        break
                    try:
                        async with asyncio.timeout(remaining):
                            item = await conn.queue.get()
                    except TimeoutError:
                        outcome = RunOutcome.ERROR
                        break
                else:
                    item = await conn.queue.get()
                if item is CLOSED:
                    if conn.closed_for_good():
                        conn.queue.put_nowait(CLOSED)
                    outcome = RunOutcome.CLOSED
                    break
                te: TimedEvent = item
                events.append(te)
                ev = te.event
                kind = ev.kind
                if kind is EventKind.AGENT or kind is EventKind.ERROR:
                    if not saw_first:
                        saw_first = True
                        conn.mark("first_event", {"type": ev.type})
                    if kind is EventKind.AGENT:
                        thread_id = thread_id or ev.thread_id
                        run_id = run_id or ev.run_id
                if kind is EventKind.AGENT and ev.type in _TERMINAL:
                    if _belongs(ev, thread_id, run_id):
                        conn.mark("terminal_event", {"type": ev.type, "run_id": ev.run_id})
                        outcome = (
                            RunOutcome.COMPLETED
                            if ev.type in _COMPLETED
                            else RunOutcome.AGENT_ERROR
                        )
                        if outcome is RunOutcome.AGENT_ERROR:
                            error = _error_text(ev)
                elif kind is EventKind.ERROR and error_deadline is None:
                    error = _error_text(ev)
                    error_deadline = loop.time() + ERROR_GRACE_S
    except TimeoutError:
        outcome = RunOutcome.TIMEOUT
        error = error or f"no terminal event within {timeout:g} s"
    except SessionClosed as exc:
        outcome = RunOutcome.CLOSED
        error = str(exc)
    close = conn.close_info if outcome is RunOutcome.CLOSED else None
    end = conn.mark(
        "run_end",
        {
            "outcome": str(outcome),
            "run_id": run_id,
            "thread_id": thread_id,
            "n_events": len(events),
            "terminal": next((e.type for e in reversed(events) if e.type in _TERMINAL), None),
            "close_code": close.code if close else None,
        },
    )
    user_id = next((e.event.user_id for e in events if e.event.user_id), None)
    return RunRecord(
        message=message,
        outcome=outcome,
        events=tuple(events),
        marks=tuple(conn.marks[first_mark:]),
        started_t=start.t,
        sent_t=sent_t,
        ended_t=end.t,
        timeout_s=timeout,
        run_id=run_id,
        thread_id=thread_id,
        close=close,
        rtt_ms=tuple(conn.rtt_ms[first_rtt:]),
        error=error,
        user_id=user_id,
    )
