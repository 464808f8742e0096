"""Property: the tool-pair rule names each tool frame at most once, and accounts for every one.

Any sequence of tool_executing / tool_completed / tool_error frames of a few tools in one run:
every frame is paired, or named by exactly one of the rule's findings (a completion before its
own start names both of its frames once), and the counts add up.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.rules.base import ContractContext, Rule
from netra_diag.events.rules.tools import check_tool_pairs, pair_tools
from netra_diag.events.runs import distinct, group_runs

TOOL_FRAMES = st.tuples(
    st.sampled_from(["tool_executing", "tool_completed", "tool_error"]),
    st.sampled_from(["a", "b", None]),
)


@given(st.lists(TOOL_FRAMES, max_size=12))
def test_every_tool_frame_is_paired_or_named_once(frames: list[tuple[str, str | None]]) -> None:
    bodies = [{"type": "agent_started", "run_id": "r1", "thread_id": "t1", "user_id": "u1"}]
    for i, (etype, tool) in enumerate(frames):
        body = {"type": etype, "run_id": "r1", "thread_id": "t1", "user_id": "u1", "n": i}
        if tool is not None:
            body["tool_name"] = tool
        bodies.append(body)
    events = [
        TimedEvent(parse_frame(json.dumps(b)), float(i), 1757867400.0 + i, i)
        for i, b in enumerate(bodies)
    ]
    (run,) = group_runs(events)
    findings = list(check_tool_pairs(events, ContractContext()))
    named = [i for f in findings for i in f.indices]
    assert len(named) == len(set(named)), findings  # no frame named twice
    pairs, orphans, unfinished = pair_tools(distinct(run.events))
    paired = {i for start, end in pairs for i in (start.index, end.index)}
    tool_frames = {te.index for te in run.events if te.type.startswith("tool_")}
    errors_unpaired = {
        te.index for te in run.events if te.type == "tool_error" and te.index not in paired
    }
    # Every tool frame is paired, named by a finding, or an unpaired tool_error (the error-frame
    # rule's to report).
    assert tool_frames == paired | set(named) | errors_unpaired, (frames, findings)
    swapped = [f for f in findings if f.rule is Rule.OUT_OF_ORDER]
    assert len(orphans) == len(swapped) + len(
        [f for f in findings if f.rule is Rule.ORPHAN_TOOL_COMPLETED]
    )
    assert len(unfinished) == len(swapped) + len(
        [f for f in findings if f.rule is Rule.UNFINISHED_TOOL]
    )
