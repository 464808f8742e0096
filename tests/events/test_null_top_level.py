"""In the server-message and bridge envelopes (a, b) top-level fields win over ``data``, and
a top-level ``null`` won too: a bridge frame written ``"run_id": null, "user_id": null`` beside a
``data`` holding both lost them, and its run read as anonymous with required fields missing."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.contracts import check_run
from netra_diag.events.model import Envelope, TimedEvent, parse_frame

STAMP = "2025-09-14T16:30:01.250Z"
RUN = [
    ("agent_started", {"agent_name": "triage"}),
    ("agent_thinking", {"reasoning": "looking"}),
    ("tool_executing", {"tool_name": "q", "parameters": {}}),
    ("tool_completed", {"tool_name": "q", "results": {}, "execution_time_ms": 80}),
    ("agent_completed", {"status": "completed", "final_response": "done"}),
]


def bridge(etype: str, fields: dict[str, object]) -> str:
    top = {"type": etype, "run_id": None, "user_id": None, "agent_name": None, "timestamp": STAMP}
    data = {"run_id": "r1", "user_id": "u1", "thread_id": "t1", **fields}
    return json.dumps({**top, "data": data})


def test_a_null_at_the_top_does_not_hide_the_value_in_data() -> None:
    event = parse_frame(bridge("agent_started", {"agent_name": "triage"}))
    assert event.envelope is Envelope.BRIDGE
    assert (event.run_id, event.user_id, event.get("agent_name")) == ("r1", "u1", "triage")


def test_a_clean_run_in_such_frames_passes() -> None:
    events = [
        TimedEvent(parse_frame(bridge(etype, fields)), 0.1 * i, None, i)
        for i, (etype, fields) in enumerate(RUN)
    ]
    report = check_run(events)
    assert report.verdict.startswith("PASS"), report.verdict
    assert [str(key) for key in report.runs] == ["t1/r1"]


def test_a_value_at_the_top_still_wins() -> None:
    raw = {"type": "agent_started", "run_id": "top", "timestamp": 1.0, "data": {"run_id": "inner"}}
    assert parse_frame(json.dumps(raw)).run_id == "top"
    assert parse_frame(raw).run_id == "top"


@given(
    st.dictionaries(
        st.sampled_from(["run_id", "user_id", "x"]), st.none() | st.text(max_size=3), max_size=3
    ),
    st.dictionaries(
        st.sampled_from(["run_id", "user_id", "y"]), st.none() | st.text(max_size=3), max_size=3
    ),
)
def test_the_text_and_the_mapping_read_alike(
    top: dict[str, object], data: dict[str, object]
) -> None:
    frame = {"type": "agent_thinking", **top, "timestamp": 1.0, "data": data}
    from_text = parse_frame(json.dumps(frame))
    assert dict(from_text.fields) == dict(parse_frame(frame).fields)
    for key in ("run_id", "user_id"):
        expected = top.get(key) if top.get(key) is not None else data.get(key)
        assert from_text.fields.get(key) == expected
