"""The Perfetto export never makes two back-to-back phases of a run overlap by a rounding
nanosecond. Perfetto (and the trace-event spec) only accept slices of one track that nest
exactly; one that starts a nanosecond before its neighbour ends is dropped as a trace error, so a
tool call would vanish from the trace for the sake of the last decimal."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from event_streams import frame, stream
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_diag.events.timeline import build_timeline
from netra_diag.events.trace import build_trace, dumps_trace


def _ns(value: Any) -> int:
    # Perfetto reads the microsecond text exactly (to the nanosecond), not as a binary float.
    return int(Decimal(str(value)) * 1000)


def _crossings(trace_text: str) -> list[tuple[Any, ...]]:
    doc = json.loads(trace_text, parse_float=Decimal)
    tracks: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    for ev in doc["traceEvents"]:
        if ev["ph"] == "X":
            start = _ns(ev["ts"])
            tracks[(ev["pid"], ev["tid"])].append((start, start + _ns(ev["dur"]), ev["name"]))
    bad = []
    for track, slices in tracks.items():
        slices.sort(key=lambda s: (s[0], -s[1]))
        for a, b in itertools.pairwise(slices):
            if b[0] < a[1] < b[1]:  # b starts inside a but ends after it: not nested
                bad.append((track, a, b))
    return bad


def _run(times: list[float]) -> list[tuple[float, dict[str, Any]]]:
    frames = [
        frame("agent_started", agent_name="triage"),
        frame("agent_thinking", reasoning="costs"),
        frame("tool_executing", tool_name="q", parameters={}),
        frame("tool_completed", tool_name="q", results={}, duration=0.1),
        frame("agent_thinking", reasoning="more"),
        frame("tool_executing", tool_name="r", parameters={}),
        frame("tool_completed", tool_name="r", results={}, duration=0.1),
        frame("agent_completed", status="completed", final_response="done"),
    ]
    return list(zip(times, frames, strict=True))


def test_a_known_rounding_case_stays_nested() -> None:
    # Found by the property below: the second tool's start and duration each round down to the
    # nanosecond, their sum one nanosecond past the completion's start.
    steps = [1.0, 1.0, 1.0, 1.0, 1.0, 1.2738854157718973, 1.2506511407153036, 1.0]
    times = [sum(steps[: i + 1]) for i in range(len(steps))]
    timeline = build_timeline(stream(_run(times)))
    assert _crossings(dumps_trace(build_trace(timeline))) == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(min_value=1e-7, max_value=3.0, allow_nan=False, allow_infinity=False),
        min_size=8,
        max_size=8,
    )
)
def test_back_to_back_phases_never_cross(steps: list[float]) -> None:
    times = [sum(steps[: i + 1]) for i in range(len(steps))]
    timeline = build_timeline(stream(_run(times)))
    assert _crossings(dumps_trace(build_trace(timeline))) == []
