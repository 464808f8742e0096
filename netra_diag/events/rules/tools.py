"""Tool calls pair up: every ``tool_completed`` follows an unmatched ``tool_executing`` of the same
tool, and every ``tool_executing`` is eventually completed (PROTOCOL.md §5).

``tool_error`` also ends a tool call: it is the service's way of completing one that failed (the
failure itself is reported by the error-frame rule).

One fault, one finding: a completion that arrived before its own ``tool_executing`` (the two
swapped on the way) is said as that, not as an orphaned end plus an unfinished start.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from netra_diag.events.model import TimedEvent
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
from netra_diag.events.runs import Run, distinct

__all__ = ["check_tool_pairs", "completed_before_start", "pair_tools"]


def pair_tools(
    events: tuple[TimedEvent, ...] | list[TimedEvent],
) -> tuple[list[tuple[TimedEvent, TimedEvent]], list[TimedEvent], list[TimedEvent]]:
    """Match tool calls in arrival order: ``(pairs, orphaned ends, unfinished starts)``.

    The service runs the calls of one tool one after another, so an end belongs to the latest
    call of its tool still open: when a completion was lost, the next call's completion is that
    call's, and the call left unfinished is the one whose end never came (matching the oldest
    open call instead blamed the later call, which did complete). The tool name is the key, an
    absent name is its own key.
    """
    open_calls: dict[str, deque[TimedEvent]] = {}
    pairs: list[tuple[TimedEvent, TimedEvent]] = []
    orphans: list[TimedEvent] = []
    for te in events:
        if te.type == "tool_executing":
            open_calls.setdefault(te.event.tool_name or "", deque()).append(te)
        elif te.type in ("tool_completed", "tool_error"):
            queue = open_calls.get(te.event.tool_name or "")
            if queue:
                pairs.append((queue.pop(), te))
            elif te.type == "tool_completed":
                orphans.append(te)
    unfinished = sorted(
        (te for queue in open_calls.values() for te in queue), key=lambda te: te.index
    )
    return pairs, orphans, unfinished


def completed_before_start(
    orphans: list[TimedEvent], unfinished: list[TimedEvent]
) -> list[tuple[TimedEvent, TimedEvent]]:
    """Orphaned ends whose call started later in the run: ``(end, start)``, each start used
    once, the earliest later start of the same tool."""
    swapped: list[tuple[TimedEvent, TimedEvent]] = []
    starts = list(unfinished)
    for end in orphans:
        name = end.event.tool_name or ""
        start = next(
            (te for te in starts if te.index > end.index and (te.event.tool_name or "") == name),
            None,
        )
        if start is not None:
            starts.remove(start)
            swapped.append((end, start))
    return swapped


@per_run
def check_tool_pairs(run: Run, context: ContractContext) -> Iterator[Finding]:
    """No orphaned ``tool_completed``; no ``tool_executing`` left unfinished; no completion
    before its own start."""
    _, orphans, unfinished = pair_tools(distinct(run.events))
    swapped = completed_before_start(orphans, unfinished)
    for end, start in swapped:
        yield finding(
            Rule.OUT_OF_ORDER,
            Severity.ERROR,
            f"{describe(end)} came before its tool_executing at {at(start.t)} (run {run.key})",
            run.key,
            (end, start),
        )
    ends = {id(end) for end, _ in swapped}
    starts = {id(start) for _, start in swapped}
    orphans = [te for te in orphans if id(te) not in ends]
    unfinished = [te for te in unfinished if id(te) not in starts]
    for te in orphans:
        yield finding(
            Rule.ORPHAN_TOOL_COMPLETED,
            Severity.ERROR,
            f"{describe(te)} has no matching tool_executing (run {run.key})",
            run.key,
            (te,),
        )
    terminal = run.terminal
    for te in unfinished:
        until = f"before {describe(terminal)}" if terminal is not None else "by the end of the run"
        yield finding(
            Rule.UNFINISHED_TOOL,
            Severity.ERROR,
            f"{describe(te)} never completed {until} (run {run.key})",
            run.key,
            (te,),
        )
