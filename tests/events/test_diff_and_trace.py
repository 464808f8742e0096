"""Aligned diff of two runs, and the Chrome trace-event export."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from typing import Any

import pytest
from event_streams import frame, golden_run, stream

from netra_diag.errors import UsageError
from netra_diag.events.contracts import check_run
from netra_diag.events.diff import DiffOp, diff_runs, event_token
from netra_diag.events.runs import RunKey, group_runs
from netra_diag.events.timeline import Mark, build_timeline
from netra_diag.events.trace import build_trace, dumps_trace
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)

# -- diff --------------------------------------------------------------------------------------


def test_identical_runs() -> None:
    diff = diff_runs(stream(golden_run()), stream(golden_run(step=0.3)))
    assert diff.identical
    assert all(a.op is DiffOp.SAME for a in diff.aligned)
    assert diff.aligned[-1].shift == pytest.approx(-0.2)
    assert diff.summary.startswith("failing run t1/r1 vs passing run t1/r1: same event sequence")


def test_missing_and_extra_events_and_phase_deltas() -> None:
    passing = golden_run(tools=("cost_analyzer", "log_search"))
    failing = golden_run(tools=("cost_analyzer",))[:-1]  # no second tool, never completed
    failing.append((1.5, frame("agent_error", error="LLM quota")))
    diff = diff_runs(stream(failing), stream(passing))
    assert [a.token for a in diff.missing] == [
        "tool_executing:log_search",
        "tool_completed:log_search",
        "agent_completed",
    ]
    assert [a.token for a in diff.extra] == ["agent_error"]
    table = diff.to_frame()
    assert list(table.columns) == [
        "op",
        "token",
        "passing_index",
        "failing_index",
        "passing_ms",
        "failing_ms",
        "shift_ms",
    ]
    assert table["op"].tolist().count("missing") == 3
    phases = diff.phase_frame().set_index("phase")
    assert list(phases.index) == [
        "thinking",
        "tool:cost_analyzer",
        "tool:log_search",
        "completion",
        "total",
    ]
    assert phases.loc["completion", "delta_ms"] == pytest.approx(500.0)
    (log_search,) = [p for p in diff.phases if p.phase == "tool:log_search"]
    assert log_search.failing_s is None and log_search.passing_s == pytest.approx(0.25)
    assert (
        "3 missing (tool_executing:log_search, tool_completed:log_search, agent_completed)"
        in diff.summary
    )
    assert "1 extra (agent_error)" in diff.summary


def test_tools_align_by_name() -> None:
    diff = diff_runs(stream(golden_run(tools=("b",))), stream(golden_run(tools=("a",))))
    assert [a.token for a in diff.missing] == ["tool_executing:a", "tool_completed:a"]
    assert [a.token for a in diff.extra] == ["tool_executing:b", "tool_completed:b"]


def test_long_runs_with_repeated_thinking_still_align() -> None:
    # 300 thinking frames: difflib's autojunk would drop them as "popular" if it were on.
    def many(n: int) -> list[tuple[float, Any]]:
        body = [
            (0.01 * i, frame("agent_thinking", reasoning=f"s{i}", step_number=i))
            for i in range(1, n)
        ]
        return [(0.0, frame("agent_started", agent_name="x")), *body]

    diff = diff_runs(stream(many(300)), stream(many(301)))
    assert len(diff.missing) == 1 and not diff.extra


def test_streams_with_several_runs_need_a_choice() -> None:
    both = stream(golden_run(run="r1"), golden_run(run="r2", t0=2))
    with pytest.raises(UsageError, match="holds 2 runs"):
        diff_runs(both, stream(golden_run()))
    diff = diff_runs(both, stream(golden_run()), failing_run=RunKey("t1", "r2"))
    assert diff.identical and str(diff.failing_run) == "t1/r2"
    with pytest.raises(UsageError, match="run t9/r9 is not in the failing stream"):
        diff_runs(both, stream(golden_run()), failing_run=RunKey("t9", "r9"))
    (run,) = group_runs(stream(golden_run()))
    assert diff_runs(run, run).identical


def test_event_token() -> None:
    events = stream(golden_run())
    assert [event_token(te) for te in events][2:4] == [
        "tool_executing:cost_analyzer",
        "tool_completed:cost_analyzer",
    ]


# -- trace -------------------------------------------------------------------------------------


def _trace(**kwargs: Any) -> dict[str, Any]:
    passing = golden_run(tools=("a", "b"))
    passing[1] = (passing[1][0], frame("agent_thinking", reasoning=f"token {TOKEN}"))
    events = stream(passing, golden_run(run="r2", t0=3.0)[:3])
    marks = [
        Mark("connect_start", 0.0),
        Mark("upgrade_done", 0.01, {"status": 101}),
        Mark("message_sent", -0.05),
        Mark("ping_rtt", 0.5, {"rtt_ms": 12.5}),
        Mark("ping_rtt", 1.0, {"rtt_ms": None}),
    ]
    timeline = build_timeline(events, marks, label="one.jsonl", end=20.0)
    report = check_run(events)
    return build_trace([timeline], reports=[report], **kwargs)


def test_trace_is_strict_json_with_tracks_per_run() -> None:
    trace = _trace()
    text = dumps_trace(trace)
    assert json.loads(text) == trace
    events = trace["traceEvents"]
    names = {
        (e["tid"], e["args"]["name"])
        for e in events
        if e["ph"] == "M" and e["name"] == "thread_name"
    }
    assert {(1, "session"), (100, "run t1/r1"), (200, "run t1/r2")} <= names
    (process,) = [e for e in events if e["ph"] == "M" and e["name"] == "process_name"]
    assert process["args"]["name"] == "one.jsonl"
    assert trace["displayTimeUnit"] == "ms"
    assert all(e["ts"] >= 0 for e in events if "ts" in e)


def test_tool_calls_are_complete_slices_joined_by_flows() -> None:
    events = _trace()["traceEvents"]
    slices = [e for e in events if e["ph"] == "X" and e["tid"] == 100]
    assert [e["name"] for e in slices] == [
        "waiting",
        "thinking",
        "tool a",
        "thinking",
        "tool b",
        "completion",
    ]
    tool_a = slices[2]
    # Times are microseconds since the earliest record (the wait started at -50 ms).
    assert tool_a["ts"] == pytest.approx(550_000) and tool_a["dur"] == pytest.approx(250_000)
    flows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["ph"] in ("s", "f"):
            flows[e["id"]].append(e)
    run_flows = [pair for pair in flows.values() if pair[0]["tid"] == 100]
    assert len(run_flows) == len(slices) - 1
    for start, finish in run_flows:
        assert (start["ph"], finish["ph"], finish["bp"]) == ("s", "f", "e")
        # Each end lies inside a slice of its own track, so Perfetto binds it.
        for end in (start, finish):
            assert any(
                s["tid"] == end["tid"] and s["ts"] <= end["ts"] <= s["ts"] + s["dur"]
                for s in slices
            )


def test_slices_nest_on_every_track() -> None:
    # Perfetto drops improperly nested slices: on one track, slices may touch but never overlap.
    events = _trace()["traceEvents"]
    by_track: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            by_track[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"]))
    for spans in by_track.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert start >= end - 1e-6


def test_frames_counters_findings_and_scrubbing() -> None:
    trace = _trace(raw_chars=2000)
    events = trace["traceEvents"]
    instants = [e for e in events if e["ph"] == "i" and e["cat"] == "frame"]
    assert len(instants) == 10
    assert {e["name"] for e in instants} >= {"agent_started", "tool_completed"}
    counters = [e for e in events if e["ph"] == "C"]
    assert counters == [
        {"ph": "C", "name": "ping RTT (ms)", "pid": 1, "ts": 550000.0, "args": {"rtt_ms": 12.5}}
    ]
    findings = [e for e in events if e["ph"] == "i" and e["cat"] == "finding"]
    assert any(e["name"] == "error: no_terminal" and e["tid"] == 200 for e in findings)
    stalls = [e for e in events if e["ph"] == "X" and e["cat"] == "stall"]
    assert stalls and stalls[0]["tid"] == 201 and stalls[0]["args"]["unfinished"] is True
    text = dumps_trace(trace)
    assert TOKEN not in text and "eyJ…#" in text


def test_overlapping_tools_move_to_extra_tracks() -> None:
    items = golden_run(tools=())
    items[2:2] = [
        (0.3, frame("tool_executing", tool_name="a", parameters={})),
        (0.35, frame("tool_executing", tool_name="b", parameters={})),
        (0.4, frame("tool_completed", tool_name="a", results={}, duration=0.1)),
        (0.45, frame("tool_completed", tool_name="b", results={}, duration=0.1)),
    ]
    trace = build_trace(build_timeline(stream(items)))
    slices = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["name"].startswith("tool")]
    assert sorted((e["name"], e["tid"]) for e in slices) == [("tool a", 100), ("tool b", 102)]
