"""The newest generation's frames (envelope e) may wrap twice, the run's ids and fields in a
``data`` inside ``payload`` (or a ``payload`` inside ``data``): PROTOCOL.md §5, "or nested
payload/data". Those fields were left nested, so a clean run read as anonymous and failed with
every required field "missing"."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.contracts import check_run
from netra_diag.events.model import Envelope, TimedEvent, parse_frame

IDS = {"run_id": "r1", "thread_id": "t1", "user_id": "u1", "timestamp": 1757867400.0}
RUN: list[tuple[str, dict[str, Any]]] = [
    ("agent_started", {"agent_name": "triage"}),
    ("agent_thinking", {"reasoning": "looking at costs", "step_number": 1}),
    ("tool_executing", {"tool_name": "cost_analyzer", "parameters": {"q": 1}}),
    ("tool_completed", {"tool_name": "cost_analyzer", "results": {"rows": 3}, "duration_ms": 840}),
    ("agent_completed", {"status": "completed", "final_response": "done"}),
]


def payload_in_data(etype: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "system_message", "event": etype, "data": {"payload": {**IDS, **fields}}}


def data_in_payload(etype: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "system_message", "event": etype, "payload": {"data": {**IDS, **fields}}}


def ids_outside_content_inside(etype: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "system_message", "payload": {"event": etype, **IDS, "data": fields}}


def test_twice_wrapped_frames_carry_their_fields() -> None:
    for wrap in (payload_in_data, data_in_payload, ids_outside_content_inside):
        event = parse_frame(json.dumps(wrap(*RUN[3])))
        assert event.envelope is Envelope.NESTED
        assert event.type == "tool_completed", wrap.__name__
        assert (event.run_id, event.thread_id, event.user_id) == ("r1", "t1", "u1"), wrap.__name__
        assert event.tool_name == "cost_analyzer" and event.duration_s == 0.84, wrap.__name__
        assert event.get("results") == {"rows": 3}


def test_a_clean_run_in_twice_wrapped_frames_passes() -> None:
    for wrap in (payload_in_data, data_in_payload, ids_outside_content_inside):
        events = [
            TimedEvent(parse_frame(json.dumps(wrap(etype, fields))), 0.1 * i, None, i)
            for i, (etype, fields) in enumerate(RUN)
        ]
        report = check_run(events)
        assert report.verdict.startswith("PASS: 1 run, 5 events"), (wrap.__name__, report.verdict)
        assert [str(key) for key in report.runs] == ["t1/r1"]


def test_the_outer_layer_still_counts_when_the_inner_one_is_not_an_object() -> None:
    event = parse_frame(
        {"type": "system_message", "event": "agent_started", "payload": {**IDS, "data": [1]}}
    )
    assert event.run_id == "r1" and event.get("data") == [1]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    st.dictionaries(st.sampled_from(["event", "type", "run_id", "data", "payload"]), json_values),
    st.dictionaries(st.sampled_from(["event", "type", "run_id", "data", "payload"]), json_values),
    st.sampled_from(["payload", "data"]),
)
def test_any_nesting_parses_without_raising(
    outer: dict[str, Any], inner: dict[str, Any], key: str
) -> None:
    frame = {"type": "system_message", **outer, key: inner}
    event = parse_frame(json.dumps(frame))
    assert isinstance(event.type, str)
    parse_frame(frame)
