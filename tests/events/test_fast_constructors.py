"""``new_event`` / ``new_timed_event`` build exactly what the dataclass constructors build."""

from __future__ import annotations

import dataclasses

import pytest

from netra_diag.events.model import (
    Envelope,
    Event,
    TimedEvent,
    new_event,
    new_timed_event,
    parse_frame,
)


def test_same_objects_as_the_dataclass_constructors() -> None:
    args = ("agent_thinking", Envelope.SERVER_MESSAGE, {"run_id": "r1"}, '{"type":"x"}', None)
    fast, slow = new_event(*args), Event(*args)
    assert fast == slow and repr(fast) == repr(slow)
    timed_fast, timed_slow = new_timed_event(fast, 1.5, 1e9, 3), TimedEvent(slow, 1.5, 1e9, 3)
    assert timed_fast == timed_slow and repr(timed_fast) == repr(timed_slow)
    assert dataclasses.replace(fast, raw="") == dataclasses.replace(slow, raw="")


def test_they_stay_frozen() -> None:
    ev = new_event("a", Envelope.PLAIN, {}, "", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.type = "b"  # type: ignore[misc]
    te = new_timed_event(ev, 0.0, None, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        te.t = 1.0  # type: ignore[misc]


def test_parse_frame_result_equals_a_plainly_built_event() -> None:
    ev = parse_frame('{"type": "agent_started", "data": {"run_id": "r1"}}')
    assert ev == Event(ev.type, ev.envelope, dict(ev.fields), ev.raw, ev.problem)
