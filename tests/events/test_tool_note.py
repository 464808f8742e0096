"""A run that sent tool_executing but lost its tool_completed (or the reverse) was also noted
as "1 run without tools (the tool events were not exercised)", contradicting the unfinished or
orphaned tool call reported beside it. The note is for streams that used no tool at all."""

from __future__ import annotations

from event_streams import frame, golden_run, stream

from netra_diag.events.contracts import Rule, check_run


def test_a_lost_tool_completed_is_not_also_a_run_without_tools() -> None:
    run = [item for item in golden_run() if item[1]["type"] != "tool_completed"]
    report = check_run(stream(run))
    assert report.by_rule(Rule.UNFINISHED_TOOL)
    assert not any("without tools" in f.message for f in report.findings), report.findings


def test_a_lost_tool_executing_is_not_also_a_run_without_tools() -> None:
    run = [item for item in golden_run() if item[1]["type"] != "tool_executing"]
    report = check_run(stream(run))
    assert report.by_rule(Rule.ORPHAN_TOOL_COMPLETED)
    assert not any("without tools" in f.message for f in report.findings), report.findings


def test_a_stream_without_any_tool_event_is_still_noted() -> None:
    run = golden_run(tools=())
    run.append((9.0, frame("heartbeat")))
    report = check_run(stream(run))
    (note,) = report.by_rule(Rule.MISSING_EVENT)
    assert note.message.startswith("no run sent tool_executing or tool_completed: 1 run")
    assert report.verdict.startswith("PASS"), report.verdict
