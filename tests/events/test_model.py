"""parse_frame normalises every envelope variant of PROTOCOL.md §5 and never raises."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.model import Envelope, EventKind, parse_frame, parse_timestamp

# The three tool_completed examples of PROTOCOL.md §5, verbatim.
BRIDGE = (
    '{"type":"tool_completed","run_id":"r1","user_id":"u1","agent_name":"triage",'
    '"timestamp":"2025-09-14T16:30:01.250Z","tool_name":"cost_analyzer","results":{"rows":3},'
    '"data":{"result":{"rows":3},"execution_time_ms":840,"status":"completed"}}'
)
EMITTER = (
    '{"type":"tool_completed","critical":true,"run_id":"r1","thread_id":"t1","request_id":"q1",'
    '"user_id":"u1","tool_name":"cost_analyzer","results":{"rows":3},"duration":0.84,'
    '"success":true,"timestamp":1757867401.25}'
)
NESTED = (
    '{"type":"system_message","event":"tool_completed","payload":{"run_id":"r1","thread_id":"t1",'
    '"tool_name":"cost_analyzer","results":{"rows":3},"duration_ms":840}}'
)
SERVER_MESSAGE = (
    '{"type":"agent_started","data":{"run_id":"r1","thread_id":"t1","user_id":"u1",'
    '"agent_name":"triage"},"timestamp":1757867400.0,"server_id":"s1","correlation_id":"c1"}'
)
FALLBACK = (
    '{"type":"agent_thinking","event":"agent_thinking","user_id":"u1","thread_id":"t1",'
    '"timestamp":1757867400.5,"reasoning":"looking"}'
)


@pytest.mark.parametrize(
    ("raw", "envelope"),
    [(BRIDGE, Envelope.BRIDGE), (EMITTER, Envelope.EMITTER), (NESTED, Envelope.NESTED)],
)
def test_tool_completed_examples_normalise_to_the_same_fields(raw: str, envelope: Envelope) -> None:
    event = parse_frame(raw)
    assert event.envelope is envelope
    assert event.type == "tool_completed"
    assert event.kind is EventKind.AGENT
    assert event.run_id == "r1"
    assert event.tool_name == "cost_analyzer"
    assert event.get("results") == {"rows": 3}
    assert event.duration_s == pytest.approx(0.84)
    assert event.is_critical and not event.is_terminal


def test_server_message_merges_data_under_top_level() -> None:
    event = parse_frame(SERVER_MESSAGE)
    assert event.envelope is Envelope.SERVER_MESSAGE
    assert (event.type, event.thread_id, event.user_id) == ("agent_started", "t1", "u1")
    assert event.timestamp == pytest.approx(1757867400.0)


def test_fallback_variant_and_iso_timestamps() -> None:
    event = parse_frame(FALLBACK)
    assert event.envelope is Envelope.FALLBACK
    assert event.get("reasoning") == "looking"
    assert parse_frame(BRIDGE).timestamp == pytest.approx(1757867401.25)


def test_nested_system_message_takes_its_type_from_event() -> None:
    event = parse_frame({"type": "system_message", "event": "agent_started", "payload": {"a": 1}})
    assert event.type == "agent_started"
    assert event.get("type") == "agent_started"


def test_aliases_normalise_to_agent_error() -> None:
    assert parse_frame('{"type": "agent_failed"}').type == "agent_error"
    assert parse_frame('{"type": "agent_fallback"}').is_terminal


@pytest.mark.parametrize(
    ("raw", "problem"),
    [("{not json", "not valid JSON"), ("[1, 2]", "not an object"), ('{"a": 1}', "no 'type'")],
)
def test_invalid_frames_become_invalid_events(raw: str, problem: str) -> None:
    event = parse_frame(raw)
    assert event.kind is EventKind.INVALID
    assert event.problem is not None and problem in event.problem
    assert event.raw == raw


def test_unknown_types_are_kept() -> None:
    event = parse_frame('{"type": "quantum_update", "x": 1}')
    assert event.kind is EventKind.UNKNOWN
    assert event.get("x") == 1


def test_timestamps_in_milliseconds_and_garbage() -> None:
    assert parse_timestamp(1757867401250) == pytest.approx(1757867401.25)
    assert parse_timestamp("2025-09-14T16:30:01") == pytest.approx(1757867401.0)
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp(float("nan")) is None
    assert parse_timestamp(True) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
frame_keys = st.sampled_from(
    ["type", "event", "payload", "data", "timestamp", "critical", "run_id", "duration", "result"]
)


@given(st.text())
def test_parse_frame_never_raises_on_text(text: str) -> None:
    parse_frame(text)


@given(st.binary())
def test_parse_frame_never_raises_on_bytes(data: bytes) -> None:
    parse_frame(data)


@given(st.dictionaries(frame_keys | st.text(max_size=8), json_values, max_size=8))
def test_parse_frame_never_raises_on_objects(obj: dict[str, object]) -> None:
    event = parse_frame(json.dumps(obj, allow_nan=True))
    _ = (event.kind, event.timestamp, event.duration_s, event.run_id, event.is_terminal)
