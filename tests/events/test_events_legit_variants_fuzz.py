"""Property: a correct agent run raises no contract finding, whatever legitimate form it takes.

The crash-freedom fuzz (``tests/events/test_contract_properties.py``) feeds arbitrary streams and
asserts nothing breaks; this one feeds only *correct* runs and asserts nothing is reported. Every
frame is rendered by hand from PROTOCOL.md §5 (not by the emulator, so the library is not judged
against its own service): each event in any of the envelope variants (a)–(e), timestamps as
epoch floats or ISO strings, any number of thinking steps and tool calls (the same tool more than
once included), and heartbeats, pongs, acks and an unknown-but-harmless event type anywhere.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.contracts import Severity, check_run
from netra_diag.events.model import TimedEvent, parse_frame

T0 = 1757867400.0
IDS = {"run_id": "r1", "thread_id": "t1", "user_id": "u1"}


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _render(etype: str, body: dict[str, Any], variant: str, now: float) -> dict[str, Any]:
    """One server event in envelope ``variant``, as PROTOCOL.md §5 describes it."""
    if variant == "a":  # server message: everything under data, float timestamp
        return {
            "type": etype,
            "data": body,
            "timestamp": now,
            "server_id": "s1",
            "correlation_id": "c1",
        }
    if variant == "b":  # bridge event: ids at the top, ISO timestamp, the rest under data
        top = {
            "type": etype,
            "run_id": body["run_id"],
            "user_id": body["user_id"],
            "agent_name": "triage",
            "timestamp": _iso(now),
        }
        data = {k: v for k, v in body.items() if k not in ("run_id", "user_id")}
        if "tool_name" in body:
            top["tool_name"] = body["tool_name"]
        if etype == "tool_completed":
            top["results"] = body["results"]
            data = {
                **data,
                "result": body["results"],
                "execution_time_ms": 840,
                "status": "completed",
            }
            data.pop("duration", None)
        return {**top, "data": data}
    if variant == "c":  # emitter: flat, critical, ISO or float
        return {
            "type": etype,
            "critical": True,
            "request_id": "q1",
            **body,
            "timestamp": _iso(now) if int(now * 10) % 2 else now,
        }
    if variant == "d":  # old fallback: flat with event == type
        return {"type": etype, "event": etype, **body, "timestamp": now}
    # (e) newest: system_message, the real type in event, payload and/or data merged in
    if etype == "tool_completed":
        body = {k: v for k, v in body.items() if k != "duration"} | {"duration_ms": 840}
    ids = {k: body[k] for k in IDS}
    rest = {k: v for k, v in body.items() if k not in IDS}
    if variant == "e":
        return {"type": "system_message", "event": etype, "payload": {**body, "timestamp": now}}
    return {
        "type": "system_message",
        "event": etype,
        "payload": {**ids, "timestamp": now},
        "data": rest,
    }


def _run_bodies(steps: int, tools: list[str]) -> list[tuple[str, dict[str, Any]]]:
    bodies: list[tuple[str, dict[str, Any]]] = [("agent_started", {**IDS, "agent_name": "triage"})]
    step = 0
    for i in range(max(steps, len(tools) + 1)):
        if i < steps:
            step += 1
            bodies.append(
                ("agent_thinking", {**IDS, "reasoning": f"thought {step}", "step_number": step})
            )
        if i < len(tools):
            params = {"q": i}
            bodies.append(("tool_executing", {**IDS, "tool_name": tools[i], "parameters": params}))
            bodies.append(
                (
                    "tool_completed",
                    {**IDS, "tool_name": tools[i], "results": {"rows": i}, "duration": 0.84},
                )
            )
    bodies.append(("agent_completed", {**IDS, "status": "completed", "final_response": "done"}))
    return bodies


HARMLESS = ("heartbeat", "pong", "heartbeat_ack", "ack", "agent_telemetry_snapshot")


@st.composite
def correct_runs(draw: st.DrawFn) -> list[TimedEvent]:
    steps = draw(st.integers(1, 4))
    tools = draw(st.lists(st.sampled_from(["cost_analyzer", "log_search"]), max_size=3))
    frames: list[tuple[float, dict[str, Any]]] = [
        (0.0, {"type": "connection_established", "data": {"user_id": "u1", "mode": "main"}})
    ]
    t = 0.0
    for etype, body in _run_bodies(steps, tools):
        for extra in draw(st.lists(st.sampled_from(HARMLESS), max_size=2)):
            t += 0.05
            frames.append((t, {"type": extra, "timestamp": T0 + t}))
        t += draw(st.floats(0.01, 2.0))
        variant = draw(st.sampled_from(["a", "b", "c", "d", "e", "e-nested"]))
        frames.append((t, _render(etype, body, variant, T0 + t)))
    # The client receives each frame a few milliseconds after the server stamped it.
    return [
        TimedEvent(parse_frame(json.dumps(f)), t + 0.003, T0 + t + 0.003, i)
        for i, (t, f) in enumerate(frames)
    ]


@given(correct_runs())
def test_a_correct_run_in_any_legitimate_form_has_no_finding(events: list[TimedEvent]) -> None:
    report = check_run(events)
    serious = [f for f in report.findings if f.severity is not Severity.INFO]
    assert report.ok and not serious, (report.findings, [te.event.raw for te in events])
    assert len(report.runs) == 1
