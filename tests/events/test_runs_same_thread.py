"""The older generation's frames (envelope d) name the thread but not the run, and a
conversation's thread outlives its runs. A user's second message in the same thread is a second
run: it used to be read as the first run "started 2 times" with every event of it "after
agent_completed", a FAIL for a clean session."""

from __future__ import annotations

from typing import Any

from event_streams import stream

from netra_diag.events.contracts import Rule, check_run
from netra_diag.events.runs import RunKey, group_runs
from netra_diag.events.timeline import build_timeline


def fallback(etype: str, **fields: Any) -> dict[str, Any]:
    """A frame of the old fallback envelope (d): ``event`` repeats ``type``; no run id."""
    base = {"type": etype, "event": etype, "user_id": "u1", "thread_id": "t1"}
    return {**base, "timestamp": 1757867400.0, **fields}


def one_run(request: str, tool: str) -> list[dict[str, Any]]:
    return [
        fallback("agent_started", agent_name="triage", user_request=request),
        fallback("agent_thinking", reasoning=f"about {request}"),
        fallback("tool_executing", tool_name=tool, parameters={"q": request}),
        fallback("tool_completed", tool_name=tool, results={"rows": 1}, duration=0.2),
        fallback("agent_completed", status="completed", final_response=f"{request} done"),
    ]


def test_two_runs_in_one_thread_without_run_ids_are_two_clean_runs() -> None:
    frames = one_run("costs", "cost_analyzer") + one_run("logs", "log_search")
    events = stream([(0.1 * i, f) for i, f in enumerate(frames)])
    report = check_run(events)
    assert report.ok, report.verdict
    assert report.verdict.startswith("PASS"), report.verdict
    assert report.runs == (RunKey("t1", None), RunKey("t1", None, 1))
    assert [str(run.key) for run in group_runs(events)] == ["t1/?", "t1/?#2"]
    assert [len(run.events) for run in group_runs(events)] == [5, 5]
    timeline = build_timeline(events)
    assert len(timeline.runs) == 2
    assert not timeline.unterminated


def test_a_resent_start_after_the_end_is_still_a_duplicate() -> None:
    frames = one_run("costs", "cost_analyzer")
    frames.append(dict(frames[0]))  # the same start sent again as it was, emit time too
    events = stream([(0.1 * i, f) for i, f in enumerate(frames)])
    report = check_run(events)
    assert [f.rule for f in report.errors] == [Rule.DUPLICATE_EVENT], report.findings
    assert len(report.runs) == 1


def test_a_lone_start_after_the_end_is_a_run_that_never_completed() -> None:
    frames = one_run("costs", "cost_analyzer")
    frames.append(dict(frames[0], timestamp=1757867409.0))  # the same content, emitted anew
    events = stream([(0.1 * i, f) for i, f in enumerate(frames)])
    report = check_run(events)
    assert not report.ok
    assert report.verdict.startswith("FAIL: run t1/?#2 never completed"), report.verdict


def test_an_id_less_start_takes_the_run_id_the_thread_shows_later() -> None:
    first = [dict(f, run_id="r1") for f in one_run("costs", "cost_analyzer")]
    second = one_run("logs", "log_search")
    second[1:] = [dict(f, run_id="r2") for f in second[1:]]
    events = stream([(0.1 * i, f) for i, f in enumerate(first + second)])
    report = check_run(events)
    assert report.ok and report.verdict.startswith("PASS"), report.verdict
    assert report.runs == (RunKey("t1", "r1"), RunKey("t1", "r2"))


def test_a_new_start_inside_an_open_run_is_still_a_second_start() -> None:
    frames = one_run("costs", "cost_analyzer")
    frames.insert(2, fallback("agent_started", agent_name="triage", user_request="again"))
    events = stream([(0.1 * i, f) for i, f in enumerate(frames)])
    report = check_run(events)
    assert any("started 2 times" in f.message for f in report.errors), report.findings


def test_the_timeline_lanes_tell_the_runs_of_one_thread_apart() -> None:
    from netra_diag.charts.timeline import run_label, timeline_figure

    frames = one_run("costs", "cost_analyzer") + one_run("logs", "log_search")
    timeline = build_timeline(stream([(0.1 * i, f) for i, f in enumerate(frames)]))
    assert [run_label(key) for key in timeline.runs] == ["t1/?", "t1/?#2"]
    ticks = timeline_figure(timeline).layout.yaxis.ticktext
    assert "run t1/?" in ticks and "run t1/?#2" in ticks, ticks
