"""The script of one agent run: its events, their fields and delays (PROTOCOL.md §5).

Pure and deterministic: the same request, timing profile and random generator give the same
script. The server only sleeps ``delay_s``, stamps ``timestamp`` and renders the envelope.

Every event carries every field the service's mission-critical suite requires, plus the ids a
client routes by (``run_id``, ``thread_id``, ``user_id``, ``request_id``, ``agent_name``).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netra_diag.emulator.config import TimingProfile
from netra_diag.redaction import scrub

__all__ = ["RunContext", "ScriptedEvent", "plan_run", "tool_parameters"]

_THOUGHTS = (
    "Reading the request and deciding which data sources answer it",
    "Comparing this week's figures with the previous baseline",
    "Checking whether the anomaly lines up with a deployment",
    "Grouping the findings by service to find the largest contributor",
    "Cross-checking the tool output against recent error logs",
    "Drafting recommendations ordered by expected impact",
)


@dataclass(frozen=True)
class RunContext:
    """Who asked for the run and what it is called."""

    run_id: str
    thread_id: str
    user_id: str
    request_id: str
    agent_name: str
    content: str

    @property
    def ids(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "user_id": self.user_id,
            "request_id": self.request_id,
            "agent_name": self.agent_name,
        }


@dataclass(frozen=True)
class ScriptedEvent:
    """One event of a run: sent ``delay_s`` after the previous one. ``fields`` exclude ``type``
    and ``timestamp`` (stamped when sent)."""

    type: str
    phase: str
    delay_s: float
    fields: Mapping[str, Any] = field(default_factory=dict)
    index: int = 0


def tool_parameters(tool: str, snippet: str) -> dict[str, Any]:
    """Plausible parameters for the default tools; anything else gets the request text."""
    if tool == "cost_analyzer":
        return {"period": "last_30_days", "group_by": "service", "question": snippet}
    if tool == "log_search":
        return {"query": snippet, "window": "24h", "limit": 50}
    if tool == "metrics_query":
        return {"metric": "p95_latency_ms", "window": "1h", "service": "api"}
    return {"input": snippet}


def _results(tool: str, rng: random.Random) -> dict[str, Any]:
    rows = rng.randint(1, 40)
    if tool == "cost_analyzer":
        top = round(rng.uniform(120.0, 4800.0), 2)
        return {"rows": rows, "top_service": "inference", "monthly_cost_usd": top}
    if tool == "log_search":
        return {"rows": rows, "matches": rows, "top_error": "TimeoutError"}
    if tool == "metrics_query":
        return {"rows": rows, "p95_latency_ms": round(rng.uniform(40.0, 400.0), 1)}
    return {"rows": rows}


def plan_run(
    ctx: RunContext,
    *,
    timing: TimingProfile,
    tools: Sequence[str],
    rng: random.Random,
    time_scale: float | None = None,
) -> tuple[ScriptedEvent, ...]:
    """``agent_started``, ≥1 ``agent_thinking``, ≥0 tool pairs, ``agent_completed``.

    Thinking steps come first and then one after each tool pair while any remain, the way an
    agent alternates reasoning and tool calls. Reported ``duration`` values are the delays the
    service actually sleeps (after ``time_scale``), so a client can compare them with what it
    measured.
    """
    ids = ctx.ids
    snippet = scrub(ctx.content.strip())[:80]
    n_think = rng.randint(*timing.thinking_steps)
    n_tools = rng.randint(*timing.tool_calls)
    chosen = [tools[rng.randrange(len(tools))] for _ in range(n_tools)]
    total_steps = n_think + 2 * n_tools + 2

    def delay(phase: str) -> float:
        return timing.delay_s(phase, rng, time_scale)

    events: list[ScriptedEvent] = []

    def add(etype: str, phase: str, wait: float, **fields: Any) -> None:
        events.append(ScriptedEvent(etype, phase, wait, {**ids, **fields}, len(events)))

    add(
        "agent_started",
        "first_event",
        delay("first_event"),
        status="started",
        message=f"{ctx.agent_name} started working on the request",
        user_request=snippet,
    )
    step = 0

    def think() -> None:
        nonlocal step
        step += 1
        thought = _THOUGHTS[rng.randrange(len(_THOUGHTS))]
        add(
            "agent_thinking",
            "think",
            delay("think"),
            reasoning=thought,
            thought=thought,
            step_number=step,
            progress_percentage=min(95, round(100 * (len(events) + 1) / total_steps)),
        )

    think()
    thoughts_left = n_think - 1
    elapsed_tools: list[str] = []
    for call, tool in enumerate(chosen, start=1):
        call_id = f"{ctx.run_id}-tool-{call}"
        params = tool_parameters(tool, snippet)
        add(
            "tool_executing",
            "inter_event",
            delay("inter_event"),
            tool_name=tool,
            tool_call_id=call_id,
            parameters=params,
        )
        took = delay("tool")
        add(
            "tool_completed",
            "tool",
            took,
            tool_name=tool,
            tool_call_id=call_id,
            results=_results(tool, rng),
            duration=round(took, 6),
            status="completed",
            success=True,
        )
        elapsed_tools.append(tool)
        if thoughts_left > 0:
            think()
            thoughts_left -= 1
    while thoughts_left > 0:
        think()
        thoughts_left -= 1
    finish = delay("completion")
    total = sum(e.delay_s for e in events) + finish
    tool_text = ", ".join(elapsed_tools) if elapsed_tools else "no tools"
    final = f"Analysis of '{snippet}' complete ({tool_text}); see the recommendations."
    add(
        "agent_completed",
        "completion",
        finish,
        status="completed",
        final_response=final,
        result={"summary": final, "tools_used": elapsed_tools},
        duration=round(total, 6),
        tools_used=elapsed_tools,
    )
    return tuple(events)
