"""Rules about which events a run has and in what order (PROTOCOL.md §5, "Ordering rules").

``agent_started`` → ``agent_thinking``* → (``tool_executing`` → ``tool_completed``)* →
``agent_completed``; some of the service's tests accept ``final_report`` or ``agent_error`` as the
terminal event. Nothing of the run may follow its terminal event, and no event may arrive twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from netra_diag.events.model import EventKind, TimedEvent
from netra_diag.events.resends import ResendTracker, distinct
from netra_diag.events.rules.base import (
    ContractContext,
    Finding,
    Rule,
    Severity,
    at,
    clip,
    describe,
    finding,
    per_run,
)
from netra_diag.events.runs import Run, group_runs
from netra_diag.wording import plural

__all__ = [
    "check_critical_events",
    "check_duplicates",
    "check_optional_events",
    "check_start_first",
    "check_terminal",
]


def _agent_events(run: Run) -> list[TimedEvent]:
    return [te for te in distinct(run.events) if te.event.kind is EventKind.AGENT]


@per_run
def check_critical_events(run: Run, context: ContractContext) -> Iterator[Finding]:
    """Every required event type (the five critical events by default) occurs in the run.

    Accepted terminal types are left to :func:`check_terminal`, which says how the run ended.
    """
    config = context.config
    seen = {te.type for te in run.events}
    present = sum(1 for name in config.required_events if name in seen)
    total = len(config.required_events)
    for name in config.required_events:
        if name in seen or name in config.accepted_terminals or name in config.optional_events:
            continue
        yield finding(
            Rule.MISSING_EVENT,
            Severity.ERROR,
            f"run {run.key} never sent {name} ({present} of {total} required event types seen)",
            run.key,
        )


def check_optional_events(
    events: Sequence[TimedEvent], context: ContractContext
) -> Iterator[Finding]:
    """A note when no run of the stream sent the optional events (by default the tool pair): the
    contract held, but the stream did not exercise them."""
    config = context.config
    wanted = [name for name in config.required_events if name in config.optional_events]
    runs = group_runs(events)
    if not wanted or not runs:
        return
    seen = {te.type for te in events}
    missing = [name for name in wanted if name not in seen]
    # One of the pair without the other is a run that used a tool and broke the pairing, which
    # the tool-pair rules name; "runs without tools" would then contradict them.
    if len(missing) == len(wanted):
        yield finding(
            Rule.MISSING_EVENT,
            Severity.INFO,
            f"no run sent {' or '.join(missing)}: {plural(len(runs), 'run')} without tools "
            "(allowed by §5; the tool events were not exercised)",
            None,
        )


@per_run
def check_start_first(run: Run, context: ContractContext) -> Iterator[Finding]:
    """The first agent event of a run is ``agent_started``."""
    agents = _agent_events(run)
    if not agents or agents[0].type == "agent_started":
        return
    started = next((te for te in agents if te.type == "agent_started"), None)
    if started is None:
        return  # check_critical_events reports the missing start
    first = agents[0]
    yield finding(
        Rule.START_NOT_FIRST,
        Severity.ERROR,
        f"run {run.key}: {describe(started)} came after {describe(first)}",
        run.key,
        (first, started),
    )


@per_run
def check_terminal(run: Run, context: ContractContext) -> Iterator[Finding]:
    """The run ends with a terminal event (preferably ``agent_completed``); nothing follows it."""
    terminals = context.config.accepted_terminals
    if not _agent_events(run):
        return
    # A resent frame is check_duplicates' finding, not also an event after the terminal one.
    events = distinct(run.events)
    index = next((i for i, te in enumerate(events) if te.type in terminals), None)
    if index is None:
        last = events[-1]
        close = next((m for m in context.marks if m.name == "close" and m.t >= last.t), None)
        why = ""
        if close is not None:
            code = close.data.get("code")
            shown = clip(code, 20) if code is not None else "1006"
            why = f"; connection closed {shown} at {at(close.t)}"
        yield finding(
            Rule.NO_TERMINAL,
            Severity.ERROR,
            f"run {run.key} never completed (no agent_completed; last event {describe(last)}{why})",
            run.key,
            (last,),
        )
        return
    terminal = events[index]
    if terminal.type != "agent_completed":
        yield finding(
            Rule.ALTERNATE_TERMINAL,
            Severity.WARNING,
            f"run {run.key} ended with {describe(terminal)}, not agent_completed",
            run.key,
            (terminal,),
        )
    after = events[index + 1 :]
    if after:
        listed = ", ".join(describe(te) for te in after[:3])
        more = f" and {len(after) - 3} more" if len(after) > 3 else ""
        noun = "event" if len(after) == 1 else "events"
        yield finding(
            Rule.EVENT_AFTER_TERMINAL,
            Severity.ERROR,
            f"{len(after)} {noun} of run {run.key} arrived after {describe(terminal)}: "
            f"{listed}{more}",
            run.key,
            (terminal, *after),
        )


@per_run
def check_duplicates(run: Run, context: ContractContext) -> Iterator[Finding]:
    """No frame arrives twice (same id, or the same content again at once or with its very emit
    time: :mod:`netra_diag.events.resends`), and a run starts only once."""
    tracker = ResendTracker()
    starts: list[TimedEvent] = []
    for te in run.events:
        earlier = tracker.resend_of(te)
        if earlier is None:
            if te.type == "agent_started":
                starts.append(te)
            continue
        yield finding(
            Rule.DUPLICATE_EVENT,
            Severity.ERROR,
            f"{describe(te)} duplicates the one at {at(earlier.t)} (run {run.key})",
            run.key,
            (earlier, te),
        )
    if len(starts) > 1:
        times = ", ".join(at(te.t) for te in starts)
        yield finding(
            Rule.DUPLICATE_EVENT,
            Severity.ERROR,
            f"run {run.key} started {len(starts)} times (agent_started at {times})",
            run.key,
            starts,
        )
