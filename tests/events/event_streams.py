"""Hand-written event streams for the contract, timeline, diff and trace tests.

Frames use the emitter envelope (c) unless a test needs another: flat, ``critical: true``, with
every field PROTOCOL.md §5 requires, so a golden run passes every built-in check.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from netra_diag.events.model import TimedEvent, parse_frame

__all__ = ["Frame", "Item", "frame", "golden_run", "stream", "timed"]

Item = tuple[float, Mapping[str, Any] | str]
Frame = dict[str, Any]


def frame(
    etype: str, *, thread: str = "t1", run: str = "r1", user: str = "u1", **fields: Any
) -> dict[str, Any]:
    """One flat emitter-variant frame of ``etype`` with ids and a timestamp."""
    body: dict[str, Any] = {
        "type": etype,
        "critical": True,
        "thread_id": thread,
        "run_id": run,
        "user_id": user,
        "timestamp": 1757867400.0,
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def golden_run(
    t0: float = 0.0,
    *,
    thread: str = "t1",
    run: str = "r1",
    user: str = "u1",
    tools: Sequence[str] = ("cost_analyzer",),
    step: float = 0.25,
) -> list[tuple[float, Frame]]:
    """A run that satisfies every contract: started, thinking, each tool executed and completed,
    completed; one event every ``step`` seconds from ``t0``."""
    ids = {"thread": thread, "run": run, "user": user}
    frames: list[Frame] = [
        frame("agent_started", agent_name="triage", **ids),
        frame("agent_thinking", reasoning="looking at costs", **ids),
    ]
    for tool in tools:
        frames.append(frame("tool_executing", tool_name=tool, parameters={"q": 1}, **ids))
        frames.append(
            frame("tool_completed", tool_name=tool, results={"rows": 3}, duration=0.2, **ids)
        )
    frames.append(frame("agent_completed", status="completed", final_response="done", **ids))
    return [(t0 + i * step, f) for i, f in enumerate(frames)]


def timed(items: Iterable[Item], *, start_index: int = 0) -> list[TimedEvent]:
    """TimedEvents from ``(t, frame)`` pairs; dicts are serialised first so ``raw`` is real."""
    out = []
    for i, (t, body) in enumerate(items):
        text = body if isinstance(body, str) else json.dumps(body)
        out.append(TimedEvent(parse_frame(text), t, 1757867400.0 + t, start_index + i))
    return out


def stream(*runs: Iterable[Item]) -> list[TimedEvent]:
    """Concatenate item lists (already in time order) into one indexed stream."""
    items = [item for run in runs for item in run]
    return timed(items)
