"""Rules about time: gaps inside a run, run length, and heartbeats while idle (PROTOCOL.md §5, §6).

Times are the client's (``TimedEvent.t``): what a user waits through, whatever the server's clock
says.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

from netra_diag.events.model import REQUEST_TYPES, TimedEvent
from netra_diag.events.rules.base import (
    ContractContext,
    Finding,
    Rule,
    Severity,
    at,
    describe,
    finding,
    per_run,
)
from netra_diag.events.runs import Run, group_runs
from netra_diag.events.spans import MarkLike

__all__ = [
    "check_first_event",
    "check_heartbeats",
    "check_requests_answered",
    "check_timing",
    "unanswered_requests",
]


def _limit(value: float) -> str:
    return f"{value:g} s"


@per_run
def check_timing(run: Run, context: ContractContext) -> Iterator[Finding]:
    """At most ``max_gap_s`` between consecutive events of a run and ``max_run_s`` for the run."""
    config = context.config
    events = run.events
    for before, after in itertools.pairwise(events):
        gap = after.t - before.t
        if math.isfinite(gap) and gap > config.max_gap_s:
            yield finding(
                Rule.GAP_TOO_LONG,
                Severity.ERROR,
                f"run {run.key} went silent for {gap:.1f} s between {describe(before)} and "
                f"{describe(after)} (limit {_limit(config.max_gap_s)})",
                run.key,
                (before, after),
            )
    if len(events) > 1:
        first, last = events[0], events[-1]
        length = last.t - first.t
        if math.isfinite(length) and length > config.max_run_s:
            yield finding(
                Rule.RUN_TOO_LONG,
                Severity.ERROR,
                f"run {run.key} took {length:.1f} s from {describe(first)} to {describe(last)} "
                f"(limit {_limit(config.max_run_s)})",
                run.key,
                (first, last),
            )


def check_heartbeats(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """The server heartbeats when a connection is idle: no silence on the socket longer than the
    heartbeat interval plus a grace (from the first frame to the last, or to ``session_end``).

    Any incoming frame ends a silence: a client that pings gets pongs instead of heartbeats, since
    the server's idle timer restarts on every frame it receives (PROTOCOL.md §6).
    """
    config = context.config
    allowed = config.heartbeat_interval_s + config.heartbeat_grace_s
    frames = [te for te in events if math.isfinite(te.t)]
    if not frames:
        return
    for before, after in itertools.pairwise(frames):
        silence = after.t - before.t
        if silence > allowed:
            yield finding(
                Rule.HEARTBEAT_MISSING,
                Severity.WARNING,
                f"no frame for {silence:.1f} s between {describe(before)} and {describe(after)}: "
                f"an idle server heartbeats every {_limit(config.heartbeat_interval_s)}",
                None,
                (before, after),
            )
    end = context.session_end
    last = frames[-1]
    if end is not None and math.isfinite(end) and end - last.t > allowed:
        yield finding(
            Rule.HEARTBEAT_MISSING,
            Severity.WARNING,
            f"no frame for {end - last.t:.1f} s from {describe(last)} to the end of the session at "
            f"{at(end)}: an idle server heartbeats every {_limit(config.heartbeat_interval_s)}",
            None,
            (last,),
        )


def _is_request(value: object) -> bool:
    return isinstance(value, str) and value in REQUEST_TYPES


def check_first_event(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """Each run's first event arrives within ``max_first_event_s`` of the request that started it
    (the latest ``message_sent`` mark, or outgoing request frame, before the run's first event and
    after the previous run's). Needs the client's marks in the context."""
    limit = context.config.max_first_event_s
    # A request no run answered is not what a later run's user waited on since.
    lost = {asked for asked, _ in unanswered_requests(events, context.marks)}
    requests = sorted(
        m.t
        for m in context.marks
        if math.isfinite(m.t)
        and m.t not in lost
        and (
            m.name == "message_sent" or (m.name == "frame_out" and _is_request(m.data.get("type")))
        )
    )
    if not requests:
        return
    floor = -math.inf
    for run in sorted(group_runs(events), key=lambda r: r.start):
        first = run.events[0]
        sent = [t for t in requests if floor < t <= first.t]
        floor = max(floor, first.t)
        if not sent:
            continue
        # The earliest request since the previous run: the user has been waiting since then.
        wait = first.t - sent[0]
        if wait > limit:
            yield finding(
                Rule.SLOW_FIRST_EVENT,
                Severity.ERROR,
                f"run {run.key}'s first event ({describe(first)}) came {wait:.2f} s after the "
                f"request at {at(sent[0])} (limit {_limit(limit)})",
                run.key,
                (first,),
            )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _requests(marks: Sequence[MarkLike]) -> list[float]:
    # A cassette holds each request twice, as its outgoing frame and as the session's
    # message_sent mark: the marks when there are any, else the frames.
    return [m.t for m in marks if m.name == "message_sent"] or [
        m.t for m in marks if m.name == "frame_out" and _is_request(m.data.get("type"))
    ]


def unanswered_requests(
    events: Sequence[TimedEvent], marks: Sequence[MarkLike]
) -> list[tuple[float, float]]:
    """``(sent, gave_up)`` of each request no run answered: a ``run_end`` mark whose outcome is
    ``timeout`` with no event of its own, unless a run began after the client stopped waiting
    (more runs start after the request than requests were sent after it: one answered it late)."""
    ordered = sorted((m for m in marks if math.isfinite(m.t)), key=lambda m: m.t)
    requests = _requests(ordered)
    starts = [run.start for run in group_runs(events) if math.isfinite(run.start)]
    out = []
    for end in ordered:
        if end.name != "run_end" or end.data.get("outcome") != "timeout":
            continue
        n_events, n_foreign = _count(end.data.get("n_events")), _count(end.data.get("n_foreign"))
        if n_events is None or n_events - (n_foreign or 0) > 0:
            continue
        sent = [t for t in requests if t <= end.t]
        if not sent:
            continue
        asked = sent[-1]
        later_runs = sum(1 for t in starts if t >= asked)
        later_requests = sum(1 for t in requests if t > asked)
        if later_runs <= later_requests:
            out.append((asked, end.t))
    return out


def check_requests_answered(
    events: Sequence[TimedEvent], context: ContractContext
) -> Iterator[Finding]:
    """Every request the client waited on got a run (:func:`unanswered_requests`): the rules about
    runs cannot see one that got nothing (there is no run), so a session whose other runs were
    fine would pass. A run that began after the client stopped waiting answered it late
    (``check_first_event``'s). Needs the client's marks in the context."""
    for asked, gave_up in unanswered_requests(events, context.marks):
        yield Finding(
            Rule.UNANSWERED_REQUEST,
            Severity.ERROR,
            f"the request sent at {at(asked)} got no agent event in the {gave_up - asked:.2f} s "
            "the client waited (its run timed out): no run answered it",
            None,
            (),
            (asked,),
        )
