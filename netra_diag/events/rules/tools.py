"""Tool calls pair up: every ``tool_completed`` follows an unmatched ``tool_executing`` of the same
tool, and every ``tool_executing`` is eventually completed (PROTOCOL.md §5).

``tool_error`` also ends a tool call: it is the service's way of completing one that failed (the
failure itself is reported by the error-frame rule).
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
    describe,
    finding,
    per_run,
)
from netra_diag.events.runs import Run, distinct

__all__ = ["check_tool_pairs", "pair_tools"]


def pair_tools(
    events: tuple[TimedEvent, ...] | list[TimedEvent],
) -> tuple[list[tuple[TimedEvent, TimedEvent]], list[TimedEvent], list[TimedEvent]]:
    """Match tool calls in arrival order: ``(pairs, orphaned ends, unfinished starts)``.

    Calls of the same tool complete first-in first-out, which is how the service runs them
    (sequentially per tool); the tool name is the key, an absent name is its own key.
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
                pairs.append((queue.popleft(), te))
            elif te.type == "tool_completed":
                orphans.append(te)
    unfinished = sorted(
        (te for queue in open_calls.values() for te in queue), key=lambda te: te.index
    )
    return pairs, orphans, unfinished


@per_run
def check_tool_pairs(run: Run, context: ContractContext) -> Iterator[Finding]:
    """No orphaned ``tool_completed``; no ``tool_executing`` left unfinished."""
    _, orphans, unfinished = pair_tools(distinct(run.events))
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
