"""One run on a live connection: send, collect until terminal / close / error / timeout, and
build the ``RunRecord``. ``asyncio.timeout`` wraps everything (waiting for a reconnect and
sending included), so a run never outlives its timeout.

Which events are the run's own (PROTOCOL.md §7: runs are keyed by ``thread_id`` and ``run_id``):
a run sent with a ``thread_id`` binds its ``run_id`` to the first agent event of that thread;
without one it binds thread and run to the first ``agent_started`` after the message was sent.
Events naming another thread or run, or (when no thread tells, and the server validated our
token) another user, are *foreign*: a leaked event of someone else's run must neither bind the
run nor end it, yet it stays in ``RunRecord.events`` (flagged in ``RunRecord.foreign``, and a
``foreign_event`` mark in the recording) so contract and isolation checks see the contamination.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from netra_diag.endpoints import endpoint_protocol
from netra_diag.errors import SessionClosed
from netra_diag.events.model import AGENT_EVENTS, Envelope, Event, EventKind, TimedEvent
from netra_diag.live.auth_verdict import same_user
from netra_diag.live.connection import CLOSED, Connection
from netra_diag.live.records import RunOutcome, RunRecord

__all__ = ["ERROR_GRACE_S", "RunBinding", "execute_run"]

# After an error frame, wait this long for the close that usually follows (1008, 1011) so the
# outcome says "closed 1011" rather than a bare "error".
ERROR_GRACE_S = 0.5
_COMPLETED = frozenset({"agent_completed", "final_report"})
_FAILED = frozenset({"agent_error", "agent_death"})
_TERMINAL = _COMPLETED | _FAILED
# Agent events that end nothing: once a run knows its ids and saw its first event, such an event
# of its own is only collected.
_ONGOING = AGENT_EVENTS - _TERMINAL


class RunBinding:
    """Which thread, run and user one run belongs to, and whether an event is its own.

    ``thread_id``/``run_id``: what the request named (``None`` when it named nothing).
    ``user``: the token's ``sub`` when the server validated it (``None``: the user cannot be
    judged, e.g. in DEMO mode where everyone shares one synthetic id)."""

    __slots__ = (
        "_last",
        "_last_verdict",
        "_named_thread",
        "_started",
        "run_id",
        "thread_id",
        "user",
    )

    def __init__(self, thread_id: str | None, run_id: str | None, user: str | None) -> None:
        self.thread_id = thread_id
        self.run_id = run_id
        self.user = user
        self._named_thread = thread_id is not None
        self._started = False
        # (thread, run, user, binding state) -> verdict of the last event judged: a run's events
        # all carry the same ids, so most are judged by one tuple comparison.
        self._last: tuple[object, ...] = ()
        self._last_verdict = False

    def is_foreign(self, ev: Event) -> bool:
        get = ev.fields.get
        key = (get("thread_id"), get("run_id"), get("user_id"), self.thread_id, self.run_id)
        if key == self._last:
            return self._last_verdict
        verdict = self._judge(ev)
        # Only ids that are strings (or absent) are remembered: 1 == True, yet they are
        # different ids ("1", "True").
        if all(v is None or type(v) is str for v in key[:3]):
            self._last, self._last_verdict = key, verdict
        return verdict

    def _judge(self, ev: Event) -> bool:
        """The event names another thread or run than this run's, or, when the thread cannot
        tell (one side names none), another user than the validated one. An event on this run's
        own thread is never judged by its user id: a service that writes user ids differently in
        events than in ``connection_established`` must not make every event foreign."""
        tid = ev.thread_id
        on_thread = bool(self.thread_id and tid)
        if on_thread and tid != self.thread_id:
            return True
        rid = ev.run_id
        if self.run_id and rid and rid != self.run_id:
            return True
        if on_thread:
            return False
        uid = ev.user_id
        return bool(self.user and uid and not same_user(uid, self.user))

    @property
    def complete(self) -> bool:
        """Thread and run are both known: ``bind`` can learn nothing more."""
        return self.thread_id is not None and self.run_id is not None

    def bind(self, ev: Event) -> None:
        """Learn the run's ids from one of its own agent events (``is_foreign`` was false)."""
        if self._named_thread:
            # A thread was named: the first agent event of that thread names the run.
            if self.run_id is None and ev.thread_id == self.thread_id:
                self.run_id = ev.run_id
        elif ev.type == "agent_started" and not self._started:
            # Nothing named: the run is the one the first agent_started after sending starts.
            self._started = True
            self.thread_id = ev.thread_id
            self.run_id = self.run_id or ev.run_id

    def settle(self, terminal: Event) -> None:
        """The run's own terminal event names the run when nothing else did (its
        ``agent_started`` was lost, or the server named no run before)."""
        self.thread_id = self.thread_id or terminal.thread_id
        self.run_id = self.run_id or terminal.run_id


def _error_text(ev: Event) -> str:
    code = ev.error_code
    msg = ev.get("error_message") or ev.get("message") or ev.get("error") or ""
    return f"{code}: {msg}" if code else str(msg) or ev.type


def _validated_user(conn: Connection) -> str | None:
    auth = conn.auth
    if auth is None or auth.validated is not True or auth.bypass:
        return None
    return conn.token_sub


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


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
    foreign: list[int] = []
    outcome: RunOutcome | None = None  # set on every path below
    error: str | None = None
    sent_t: float | None = None
    binding = RunBinding(None, None, None)
    # Events before this index were judged while the binding still lacked ids: judged again
    # at the end. Later ones were judged by the final binding already.
    judged_early = 0
    queue = conn.queue
    saw_first = False
    error_deadline: float | None = None
    # The service acknowledged the request as a type it does not handle (PROTOCOL.md §4): no
    # agent will run for it, so the run ends after the grace instead of its whole timeout.
    acked_only = False
    # Where no agent ever runs (/ws/test, PROTOCOL.md §1), nothing can follow that ack.
    ack_grace = ERROR_GRACE_S if endpoint_protocol(conn._raw_url).runs_agents else 0.0
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            if conn.closed_for_good():
                raise SessionClosed(*conn._closed_args())
            await conn._open_event.wait()
            n_marks = len(conn.marks)
            sent = await send()
            sent_t = next(m.t for m in conn.marks[n_marks:] if m.name == "message_sent")
            sent_type = sent.get("type")
            body = sent.get("payload") if isinstance(sent.get("payload"), dict) else sent
            if isinstance(body, dict):
                binding = RunBinding(
                    _str_or_none(body.get("thread_id")),
                    _str_or_none(body.get("run_id")),
                    _validated_user(conn),
                )
            else:
                binding = RunBinding(None, None, _validated_user(conn))
            items = queue.items
            ended = conn.ended_runs
            # The first event was seen and the binding knows thread and run: nothing more to
            # learn from an ongoing event of the run's own (the fast path below).
            settled = False
            while outcome is None:
                if error_deadline is not None:
                    remaining = error_deadline - loop.time()
                    if remaining <= 0:
                        outcome = RunOutcome.ERROR
                        break
                    try:
                        async with asyncio.timeout(remaining):
                            item = await queue.get()
                    except TimeoutError:
                        outcome = RunOutcome.ERROR
                        break
                else:
                    # A waiting item is taken without a coroutine call: per event, that is
                    # most of what a run costs when frames arrive thousands at a time.
                    item = items.popleft() if items else await queue.get()
                if item is CLOSED:
                    if conn.closed_for_good():
                        conn.queue.put_nowait(CLOSED)
                    outcome = RunOutcome.CLOSED
                    break
                te: TimedEvent = item
                ev = te.event
                if ended and ev.run_id in ended:
                    # A straggler of a run that already ended here: recorded (the contract
                    # check judges it in its own run: event_after_terminal), but not this run's,
                    # as those that came between the runs are not.
                    continue
                if binding.is_foreign(ev):
                    # Someone else's event (a leak): kept and flagged, never the run's own.
                    foreign.append(len(events))
                    events.append(te)
                    conn.mark("foreign_event", _foreign_data(ev, binding))
                    continue
                events.append(te)
                if settled and ev.type in _ONGOING and ev.envelope is not Envelope.INVALID:
                    continue
                kind = ev.kind
                if (
                    not saw_first
                    and error_deadline is None
                    and ev.type == "ack"
                    and sent_type
                    and ev.get("received_type") == sent_type
                ):
                    acked_only = True
                    error = _ack_only_text(str(sent_type), te.t - sent_t)
                    error_deadline = loop.time() + ack_grace
                    continue
                if kind is EventKind.AGENT and acked_only:
                    # An agent ran after all: the acknowledgement ends nothing.
                    acked_only, error, error_deadline = False, None, None
                if kind is EventKind.AGENT or kind is EventKind.ERROR:
                    if not saw_first:
                        saw_first = True
                        conn.mark("first_event", {"type": ev.type})
                    if kind is EventKind.AGENT and not binding.complete:
                        binding.bind(ev)
                        judged_early = len(events)
                if kind is EventKind.AGENT and ev.type in _TERMINAL:
                    if not binding.complete:
                        binding.settle(ev)
                        judged_early = len(events)
                    conn.mark("terminal_event", {"type": ev.type, "run_id": ev.run_id})
                    outcome = (
                        RunOutcome.COMPLETED if ev.type in _COMPLETED else RunOutcome.AGENT_ERROR
                    )
                    if outcome is RunOutcome.AGENT_ERROR:
                        error = _error_text(ev)
                elif kind is EventKind.ERROR and error_deadline is None:
                    error = _error_text(ev)
                    error_deadline = loop.time() + ERROR_GRACE_S
                settled = saw_first and binding.complete
    except TimeoutError:
        outcome = RunOutcome.TIMEOUT
        error = error or _timeout_text(events, timeout, saw_first)
    except SessionClosed as exc:
        outcome = RunOutcome.CLOSED
        error = str(exc)
    except asyncio.CancelledError:
        # The caller stopped the run (Ctrl-C, SIGTERM, a task cancelled): said in the cassette,
        # so that a reader of it (trace) does not take the run it cut for one the service
        # left unfinished.
        conn.mark(
            "run_interrupted",
            {"run_id": binding.run_id, "thread_id": binding.thread_id, "n_events": len(events)},
        )
        raise
    if binding.run_id is not None:
        conn.ended_runs.add(binding.run_id)
    close = conn.close_info if outcome is RunOutcome.CLOSED else None
    # Events that came before the run's ids were known are judged again by the final binding.
    if outcome is not RunOutcome.COMPLETED and outcome is not RunOutcome.AGENT_ERROR:
        judged_early = len(events)  # no terminal settled the binding: judge everything again
    for i, te in enumerate(events[:judged_early]):
        if binding.is_foreign(te.event) and i not in foreign:
            foreign.append(i)
            conn.mark("foreign_event", _foreign_data(te.event, binding))
    foreign.sort()
    skip = set(foreign)
    own = [e for i, e in enumerate(events) if i not in skip] if skip else events
    end = conn.mark(
        "run_end",
        {
            "outcome": str(outcome),
            "run_id": binding.run_id,
            "thread_id": binding.thread_id,
            "n_events": len(events),
            "n_foreign": len(foreign),
            "terminal": next((e.type for e in reversed(own) if e.type in _TERMINAL), None),
            "close_code": close.code if close else None,
        },
    )
    user_id = next((e.event.user_id for e in own if e.event.user_id), None)
    return RunRecord(
        message=message,
        outcome=outcome,
        events=tuple(events),
        marks=tuple(conn.marks[first_mark:]),
        started_t=start.t,
        sent_t=sent_t,
        ended_t=end.t,
        timeout_s=timeout,
        run_id=binding.run_id,
        thread_id=binding.thread_id,
        close=close,
        rtt_ms=tuple(conn.rtt_ms[first_rtt:]),
        error=error,
        user_id=user_id,
        foreign=tuple(foreign),
    )


def _timeout_text(events: list[TimedEvent], timeout: float, saw_first: bool) -> str:
    """Why a run timed out. A service that answered the request with nothing but an ``ack``
    of it (PROTOCOL.md §4: what unknown types get) runs no agent for it: an echo endpoint such as
    the older generation's /ws/test, so waiting longer would not help."""
    said = f"no terminal event within {timeout:g} s"
    if saw_first:
        return said
    acked = next(
        (
            te.event.get("received_type")
            for te in events
            if te.event.type == "ack" and te.event.get("received_type")
        ),
        None,
    )
    if acked is None:
        return said
    return (
        f"no agent event within {timeout:g} s: the service only acknowledged the "
        f"{acked} as a type it does not run (ack); an echo endpoint such as the older "
        "generation's /ws/test runs no agent (PROTOCOL.md §1)"
    )


def _ack_only_text(sent_type: str, after_s: float) -> str:
    """Why a run ended on the ``ack`` of its own request, without waiting out its timeout."""
    return (
        f"no agent will run: the service only acknowledged the {sent_type} as a type it does not "
        f"run (ack {after_s * 1e3:.1f} ms after it was sent; the service acknowledges only types "
        "it does not handle, PROTOCOL.md §4); an echo endpoint such as the older generation's "
        "/ws/test runs no agent (PROTOCOL.md §1), so the run stopped instead of waiting out "
        "its timeout"
    )


def _foreign_data(ev: Event, binding: RunBinding) -> dict[str, Any]:
    return {
        "type": ev.type,
        "run_id": ev.run_id,
        "thread_id": ev.thread_id,
        "user_id": ev.user_id,
        "own_run_id": binding.run_id,
        "own_thread_id": binding.thread_id,
    }
