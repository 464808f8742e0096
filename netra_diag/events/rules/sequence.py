"""Order evidence beyond event types: step numbers, server timestamps, thinking during a tool call.

The type-order rules (``order.py``) cannot see two ``agent_thinking`` frames swapped, or one of
several dropped; the fields can. ``step_number`` counts thinking steps from 1 (PROTOCOL.md §5,
the alternatives of ``reasoning``), and the server stamps ``timestamp`` when it emits an event, so a
step that goes backwards, a step skipped, or a server timestamp older than the previous event's
shows the stream was reordered or lost an event on the way.
"""

from __future__ import annotations

import math
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
from netra_diag.events.rules.tools import pair_tools
from netra_diag.events.runs import Run, distinct

__all__ = ["check_sequence"]


def _step(te: TimedEvent) -> int | None:
    value = te.event.get("step_number")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _missing_between(low: int, high: int, arrived: frozenset[int]) -> tuple[int, list[int]]:
    """Steps strictly between ``low`` and ``high`` that never arrived in the run: how many, and
    the first five. Counted, not listed: a server can send step 3e10 and the gap must stay
    cheap (a range that long has no len() either)."""
    late = sum(1 for step in arrived if low < step < high)
    first: list[int] = []
    step = low + 1
    while step < high and len(first) < 5:
        if step not in arrived:
            first.append(step)
        step += 1
    return high - low - 1 - late, first


def _steps(run: Run) -> Iterator[Finding]:
    previous: TimedEvent | None = None
    previous_step = 0
    # A step that comes later (swapped neighbours) did arrive: only its lateness is a finding.
    arrived = frozenset(
        step for te in run.events if te.type == "agent_thinking" and (step := _step(te)) is not None
    )
    for te in run.events:
        if te.type != "agent_thinking":
            continue
        step = _step(te)
        if step is None:
            continue
        if previous is not None and step == previous_step:
            continue  # a resent step: check_duplicates reports it
        if previous is not None and step < previous_step:
            yield finding(
                Rule.OUT_OF_ORDER,
                Severity.ERROR,
                f"agent_thinking step {step} at {at(te.t)} comes after step {previous_step} at "
                f"{at(previous.t)} (run {run.key})",
                run.key,
                (previous, te),
            )
        elif (
            step > previous_step + 1 and (gap := _missing_between(previous_step, step, arrived))[0]
        ):
            n_missing, first = gap
            shown = ", ".join(str(n) for n in first) + (" …" if n_missing > 5 else "")
            noun = "step" if n_missing == 1 else "steps"
            before = f"step {previous_step} at {at(previous.t)}, then " if previous else ""
            yield finding(
                Rule.MISSING_EVENT,
                Severity.ERROR,
                f"agent_thinking {noun} {shown} never arrived ({before}step {step} at "
                f"{at(te.t)}; run {run.key})",
                run.key,
                (*((previous,) if previous else ()), te),
            )
        if step > previous_step:
            previous, previous_step = te, step


def _server_clock(run: Run, tolerance: float) -> Iterator[Finding]:
    previous: TimedEvent | None = None
    previous_ts: float | None = None
    for te in run.events:
        ts = te.event.timestamp
        if ts is None or not math.isfinite(ts):
            continue
        if previous is not None and previous_ts is not None and previous_ts - ts > tolerance:
            yield finding(
                Rule.OUT_OF_ORDER,
                Severity.WARNING,
                f"{describe(te)} carries a server timestamp {previous_ts - ts:.3f} s older than "
                f"that of {describe(previous)}: the server emitted them in the other order "
                f"(run {run.key})",
                run.key,
                (previous, te),
            )
        # Compared with the previous event, not the latest stamp: one clock step back is one
        # finding, not one per event after it.
        previous, previous_ts = te, ts


def _thinking_during_tools(run: Run) -> Iterator[Finding]:
    # Calls that completed after their start, and in a run cut off before its end (no terminal
    # event) the calls still open at the cut: they were running when the thought came. A call
    # of a finished run whose end never came (or came first) is the tool-pair rule's one
    # finding: when it ended is unknown, and "thinking while it ran" would name that same lost
    # or swapped frame again for every thought after it.
    pairs, _, unfinished = pair_tools(run.events)
    cut = run.terminal is None
    after_all = max((te.index for te in run.events), default=0) + 1
    calls = sorted(
        [(start, end.index) for start, end in pairs if start.index < end.index]
        + [(start, after_all) for start in unfinished if cut],
        key=lambda pair: pair[0].index,
    )
    for te in run.events:
        if te.type == "agent_thinking":
            open_calls = [start for start, end in calls if start.index < te.index < end]
            if open_calls:
                call = open_calls[0]
                yield finding(
                    Rule.OUT_OF_ORDER,
                    Severity.WARNING,
                    f"{describe(te)} arrived while {describe(call)} had not completed: the agent "
                    f"reasons between tool calls, not during one (run {run.key})",
                    run.key,
                    (call, te),
                )


@per_run
def check_sequence(run: Run, context: ContractContext) -> Iterator[Finding]:
    """Thinking steps count up by one; server timestamps never go back; no thinking mid-tool."""
    unique = Run(run.key, tuple(distinct(run.events)))
    yield from _steps(unique)
    yield from _server_clock(unique, context.config.clock_tolerance_s)
    yield from _thinking_during_tools(unique)
