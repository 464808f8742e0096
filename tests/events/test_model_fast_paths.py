"""The receive hot path's shortcuts in ``parse_frame`` give exactly what the plain code gives:
``_loads`` is ``json.loads`` (same value, same exception), and merging keeps key order."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.model import Envelope, _loads, parse_frame

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
padding = st.sampled_from(["", " ", "\n", "\t ", "\ufeff", "x", "]", "{}"])


def outcome(fn: Any, text: str) -> tuple[str, Any]:
    try:
        return "value", fn(text)
    except Exception as exc:  # the same type and message, whatever it is
        return type(exc).__name__, str(exc)


@given(padding, json_values, padding)
def test_loads_is_json_loads(before: str, value: Any, after: str) -> None:
    text = before + json.dumps(value) + after
    got, want = outcome(_loads, text), outcome(json.loads, text)
    if got[0] == "value" and want[0] == "value":
        assert json.dumps(got[1], sort_keys=True) == json.dumps(want[1], sort_keys=True)
    else:
        assert got == want


@given(st.text(max_size=40))
def test_loads_on_any_text_is_json_loads(text: str) -> None:
    got, want = outcome(_loads, text), outcome(json.loads, text)
    assert got[0] == want[0]
    if got[0] != "value":
        assert got == want


def test_merge_keeps_the_envelope_first_then_data_keys_in_order() -> None:
    raw = {"type": "tool_completed", "run_id": "r1", "data": {"b": 1, "run_id": "r2", "a": 2}}
    event = parse_frame(json.dumps(raw))
    assert event.envelope is Envelope.BRIDGE
    assert list(event.fields) == ["type", "run_id", "data", "b", "a"]
    assert event.fields["run_id"] == "r1"  # top-level fields win
