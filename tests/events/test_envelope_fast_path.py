"""``parse_frame``'s shortcut for envelopes (a) and (b) gives exactly the event the general path
(``_detect`` then ``_merge``) gives, and ``Event.kind``'s table says what the type sets say."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.model import (
    AGENT_EVENTS,
    CONTROL_EVENTS,
    ERROR_EVENTS,
    TYPE_ALIASES,
    Envelope,
    Event,
    EventKind,
    _detect,
    _merge,
    parse_frame,
)

KEYS = ["type", "data", "timestamp", "run_id", "thread_id", "user_id", "agent_name", "result"]
KEYS += ["results", "payload", "event", "critical", "server_id", "x"]
TYPES = ["agent_thinking", "agent_failed", "system_message", "", "heartbeat", "tool_completed"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(TYPES)
    | st.text(max_size=6)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.sampled_from(KEYS), inner),
    max_leaves=6,
)
frames = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
# Mostly frames the shortcut takes (a string type, a data object, none of payload, event or
# critical: true at the top), often sharing keys with their data.
SHARED = ["timestamp", "run_id", "thread_id", "user_id", "agent_name", "result", "results"]
enveloped = st.builds(
    lambda extra, etype, data: {**extra, "type": etype, "data": data},
    st.dictionaries(st.sampled_from([*SHARED, "server_id", "critical"]), values, max_size=5),
    st.sampled_from(TYPES) | scalars,
    st.dictionaries(st.sampled_from([*SHARED, *KEYS]), values, max_size=6),
)


def plainly(frame: dict[str, Any], text: str) -> Event:
    """The general path of ``parse_frame`` for a decoded object."""
    envelope = _detect(frame)
    etype, merged = _merge(frame, envelope)
    if not etype:
        return Event("", Envelope.INVALID, merged, text, "frame has no 'type' (or 'event') field")
    return Event(TYPE_ALIASES.get(etype, etype), envelope, merged, text, None)


@given(st.one_of(enveloped, enveloped, enveloped, frames))
def test_the_shortcut_is_the_general_path(frame: dict[str, Any]) -> None:
    text = json.dumps(frame)
    got, want = parse_frame(text), plainly(json.loads(text), text)
    assert got == want
    assert list(got.fields) == list(want.fields)  # the same key order too
    assert [type(v) for v in got.fields.values()] == [type(v) for v in want.fields.values()]


def test_top_level_fields_win_over_data_and_keep_their_place() -> None:
    ev = parse_frame(
        json.dumps(
            {"type": "agent_failed", "run_id": "top", "data": {"x": 1, "run_id": "in", "result": 2}}
        )
    )
    assert ev.type == "agent_error" and ev.envelope is Envelope.BRIDGE
    assert list(ev.fields) == ["type", "run_id", "data", "x", "result", "results"]
    assert ev.fields["run_id"] == "top" and ev.fields["results"] == 2


@given(st.sampled_from([*sorted(AGENT_EVENTS | CONTROL_EVENTS | ERROR_EVENTS), "other", ""]))
def test_kind_follows_the_type_sets(etype: str) -> None:
    want = (
        EventKind.AGENT
        if etype in AGENT_EVENTS
        else EventKind.CONTROL
        if etype in CONTROL_EVENTS
        else EventKind.ERROR
        if etype in ERROR_EVENTS
        else EventKind.UNKNOWN
    )
    assert Event(etype, Envelope.PLAIN).kind is want
    assert Event(etype, Envelope.INVALID).kind is EventKind.INVALID
