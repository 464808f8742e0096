"""A server that numbers an agent_thinking step past sys.maxsize (``step_number`` 1e20, a
garbage counter) gets a missing-steps finding, not a crashed check."""

from __future__ import annotations

import json

from netra_diag.events.contracts import check_run
from netra_diag.events.model import TimedEvent, parse_frame


def frame(i: int, **fields: object) -> TimedEvent:
    base = {"run_id": "r1", "thread_id": "t1", "user_id": "u1", "timestamp": 1.0 + i}
    return TimedEvent(parse_frame(json.dumps({**base, **fields})), 0.1 * i, None, i)


def test_a_huge_step_number_is_a_finding_not_a_crash() -> None:
    events = [
        frame(0, type="agent_started"),
        frame(1, type="agent_thinking", reasoning="a", step_number=1),
        frame(2, type="agent_thinking", reasoning="b", step_number=10**20),
        frame(3, type="agent_completed", status="ok", final_response="x"),
    ]
    rules = {str(f.rule) for f in check_run(events).findings}
    assert "check_crashed" not in rules, rules
    messages = [f.message for f in check_run(events).findings if str(f.rule) == "missing_event"]
    assert any("steps 2, 3, 4, 5, 6 …" in m for m in messages), messages
