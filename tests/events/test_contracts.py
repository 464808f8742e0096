"""Every contract rule, positive and negative, on hand-written streams (PROTOCOL.md §5–§7)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from event_streams import Item, frame, golden_run, stream, timed

from netra_diag.errors import ContractViolation
from netra_diag.events.contracts import (
    DEFAULT_CHECKS,
    ContractConfig,
    ContractContext,
    Finding,
    Mark,
    Rule,
    Severity,
    check_run,
)
from netra_diag.events.model import TimedEvent
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

OWNER = ContractContext(expected_user="u1", expected_threads=frozenset({"t1"}))


def rules(events: Sequence[TimedEvent], context: ContractContext | None = None) -> set[str]:
    return {str(f.rule) for f in check_run(events, context=context).findings}


def only(
    events: Sequence[TimedEvent], rule: Rule, context: ContractContext | None = None
) -> Finding:
    found = check_run(events, context=context).by_rule(rule)
    assert len(found) == 1, found
    return found[0]


# -- the golden path ---------------------------------------------------------------------------


def test_golden_run_passes_every_rule() -> None:
    report = check_run(stream(golden_run(tools=("cost_analyzer", "log_search"))), context=OWNER)
    assert report.findings == ()
    assert report.ok
    assert report.verdict == "PASS: 1 run, 7 events; every contract held"
    assert [str(k) for k in report.runs] == ["t1/r1"]


def test_two_interleaved_runs_are_checked_separately() -> None:
    a = golden_run(run="r1", step=0.2)
    b = golden_run(run="r2", step=0.2, t0=0.1)
    items = sorted(a + b, key=lambda item: item[0])
    report = check_run(timed(items), context=OWNER)
    assert report.ok, report.verdict
    assert {str(k) for k in report.runs} == {"t1/r1", "t1/r2"}


# -- critical events, start, terminal ---------------------------------------------------------


def test_missing_critical_event_is_named() -> None:
    items = [item for item in golden_run() if item[1]["type"] != "agent_thinking"]
    finding = only(stream(items), Rule.MISSING_EVENT)
    assert finding.severity is Severity.ERROR
    assert (
        finding.message == "run t1/r1 never sent agent_thinking (4 of 5 required event types seen)"
    )
    assert finding.run is not None and str(finding.run) == "t1/r1"


def test_required_events_are_configurable() -> None:
    items = [item for item in golden_run() if not item[1]["type"].startswith("tool_")]
    assert Rule.MISSING_EVENT in rules(stream(items))
    relaxed = ContractContext(
        config=ContractConfig(
            required_events=("agent_started", "agent_thinking", "agent_completed")
        )
    )
    assert Rule.MISSING_EVENT not in rules(stream(items), relaxed)


def test_a_run_without_tools_keeps_the_contract_with_a_note() -> None:
    # §5: agent_started → agent_thinking* → (tool_executing → tool_completed)* → agent_completed
    items = [item for item in golden_run() if not item[1]["type"].startswith("tool_")]
    report = check_run(stream(items))
    assert report.ok and report.errors == () and report.warnings == ()
    (note,) = report.findings
    assert note.severity is Severity.INFO
    assert note.message == (
        "no run sent tool_executing or tool_completed: 1 run without tools "
        "(allowed by §5; the tool events were not exercised)"
    )
    assert report.verdict.startswith("PASS: ")


def test_start_not_first() -> None:
    items = golden_run()
    items[0], items[1] = (items[0][0], items[1][1]), (items[1][0], items[0][1])
    finding = only(stream(items), Rule.START_NOT_FIRST)
    assert "agent_started at +0.25 s came after agent_thinking at +0.00 s" in finding.message
    assert finding.indices == (0, 1)
    assert Rule.START_NOT_FIRST not in rules(stream(golden_run()))


def test_never_completed_is_the_headline() -> None:
    events = stream(
        golden_run()[:-1], [(0.9, frame("agent_thinking", reasoning="x", step_number=9))]
    )
    report = check_run(events)
    assert not report.ok
    assert report.verdict.startswith(
        "FAIL: run t1/r1 never completed (no agent_completed; last event"
    )
    finding = report.findings[0]
    assert finding.rule is Rule.NO_TERMINAL and finding.times == (0.9,)


def test_never_completed_mentions_the_close() -> None:
    events = stream(golden_run()[:-1])
    context = ContractContext(marks=(Mark("close", 2.0, {"code": 1006}),))
    finding = only(events, Rule.NO_TERMINAL, context)
    assert "connection closed 1006 at +2.00 s" in finding.message


def test_alternate_terminal_is_a_warning() -> None:
    items = golden_run()
    items[-1] = (items[-1][0], frame("final_report", report={"ok": True}))
    report = check_run(stream(items), context=OWNER)
    (finding,) = report.findings
    assert finding.rule is Rule.ALTERNATE_TERMINAL and finding.severity is Severity.WARNING
    assert report.ok
    assert report.verdict.startswith("PASS with caveats: run t1/r1 ended with final_report")


def test_event_after_terminal() -> None:
    events = stream(golden_run(), [(2.0, frame("stream_chunk", chunk="late"))])
    finding = only(events, Rule.EVENT_AFTER_TERMINAL)
    assert finding.message.startswith(
        "1 event of run t1/r1 arrived after agent_completed at +1.00 s"
    )
    assert finding.indices == (4, 5)
    assert Rule.EVENT_AFTER_TERMINAL not in rules(stream(golden_run()))


def test_an_id_less_frame_after_the_terminal_still_counts() -> None:
    events = stream(golden_run(), [(2.0, {"type": "agent_thinking", "reasoning": "?"})])
    assert Rule.EVENT_AFTER_TERMINAL in rules(events)


# -- tools -------------------------------------------------------------------------------------


def test_orphan_tool_completed_sentence() -> None:
    items = golden_run()
    del items[2]  # tool_executing
    items.insert(3, (1.84, items.pop(2)[1]))
    finding = only(timed(items), Rule.ORPHAN_TOOL_COMPLETED)
    assert finding.message == (
        "tool_completed for cost_analyzer at +1.84 s has no matching tool_executing (run t1/r1)"
    )


def test_tool_completed_of_another_tool_does_not_match() -> None:
    items = golden_run()
    items[3] = (
        items[3][0],
        frame("tool_completed", tool_name="log_search", results={}, duration=1),
    )
    found = rules(stream(items))
    assert {Rule.ORPHAN_TOOL_COMPLETED, Rule.UNFINISHED_TOOL} <= found


def test_unfinished_tool() -> None:
    items = [item for item in golden_run() if item[1]["type"] != "tool_completed"]
    finding = only(stream(items), Rule.UNFINISHED_TOOL)
    assert finding.message == (
        "tool_executing for cost_analyzer at +0.50 s never completed before agent_completed at "
        "+1.00 s (run t1/r1)"
    )


def test_tool_error_ends_a_tool_call() -> None:
    items = golden_run()
    items[3] = (items[3][0], frame("tool_error", tool_name="cost_analyzer", error="boom"))
    found = check_run(stream(items)).findings
    assert Rule.UNFINISHED_TOOL not in {f.rule for f in found}
    assert any(f.rule is Rule.ERROR_FRAME and f.severity is Severity.WARNING for f in found)


def test_same_tool_twice_pairs_first_in_first_out() -> None:
    report = check_run(stream(golden_run(tools=("a", "a"))))
    assert Rule.ORPHAN_TOOL_COMPLETED not in {f.rule for f in report.findings}


# -- fields ------------------------------------------------------------------------------------


def test_missing_required_fields_listed_with_alternatives() -> None:
    items = golden_run()
    items[1] = (items[1][0], frame("agent_thinking", timestamp=None))
    items[3] = (items[3][0], frame("tool_completed", tool_name="cost_analyzer"))
    found = check_run(stream(items)).by_rule(Rule.MISSING_FIELD)
    messages = sorted(f.message for f in found)
    assert messages == [
        "agent_thinking at +0.25 s lacks required fields 'reasoning' (or 'thought', "
        "'step_number', 'progress_percentage'), 'timestamp' (run t1/r1)",
        "tool_completed for cost_analyzer at +0.75 s lacks required fields 'results', "
        "'duration' (or 'execution_time_ms', 'duration_ms') (run t1/r1)",
    ]


def test_fields_count_after_envelope_normalisation() -> None:
    # The bridge variant carries duration as data.execution_time_ms and results twice.
    bridge = (
        '{"type":"tool_completed","run_id":"r1","user_id":"u1","agent_name":"triage",'
        '"timestamp":"2025-09-14T16:30:01.250Z","tool_name":"cost_analyzer","results":{"rows":3},'
        '"data":{"result":{"rows":3},"execution_time_ms":840,"status":"completed"}}'
    )
    items: list[Item] = list(golden_run())
    items[3] = (items[3][0], bridge)
    assert Rule.MISSING_FIELD not in rules(stream(items))


def test_recommended_fields_are_notes() -> None:
    items = golden_run()
    items[0] = (0.0, frame("agent_started", agent_name=None))
    report = check_run(stream(items), context=OWNER)
    (finding,) = report.findings
    assert finding.severity is Severity.INFO and "recommended field 'agent_name'" in finding.message
    assert report.ok and report.verdict == "PASS: 1 run, 5 events; every contract held (1 note)"


# -- duplicates, order evidence ----------------------------------------------------------------


def test_duplicate_frame_even_when_re_stamped() -> None:
    items = golden_run()
    resent = dict(items[1][1], timestamp=1757867401.0, correlation_id="other")
    items.insert(2, (0.3, resent))
    finding = only(stream(items), Rule.DUPLICATE_EVENT)
    assert finding.message == "agent_thinking at +0.30 s duplicates the one at +0.25 s (run t1/r1)"
    assert finding.indices == (1, 2)


def test_thinking_with_other_content_is_not_a_duplicate() -> None:
    items = golden_run()
    items.insert(2, (0.3, frame("agent_thinking", reasoning="another thought")))
    assert Rule.DUPLICATE_EVENT not in rules(stream(items))


def test_run_started_twice() -> None:
    items = golden_run()
    items.insert(1, (0.1, frame("agent_started", agent_name="other")))
    finding = only(stream(items), Rule.DUPLICATE_EVENT)
    assert finding.message == "run t1/r1 started 2 times (agent_started at +0.00 s, +0.10 s)"


def test_step_numbers_show_reorder_and_loss() -> None:
    def thinking(step: int) -> dict[str, object]:
        return frame("agent_thinking", reasoning=f"step {step}", step_number=step)

    base = golden_run()
    swapped = [base[0], (0.2, thinking(1)), (0.3, thinking(3)), (0.4, thinking(2)), *base[2:]]
    finding = only(timed(swapped), Rule.OUT_OF_ORDER)
    assert (
        finding.message
        == "agent_thinking step 2 at +0.40 s comes after step 3 at +0.30 s (run t1/r1)"
    )
    lost = [base[0], (0.2, thinking(1)), (0.3, thinking(3)), *base[2:]]
    finding = only(timed(lost), Rule.MISSING_EVENT)
    assert finding.message == (
        "agent_thinking step 2 never arrived (step 1 at +0.20 s, then step 3 at +0.30 s; run t1/r1)"
    )
    ordered = [base[0], (0.2, thinking(1)), (0.3, thinking(2)), *base[2:]]
    assert not {Rule.OUT_OF_ORDER, Rule.MISSING_EVENT} & rules(timed(ordered))
    # A huge step number (found by hypothesis: MemoryError listing 3e10 missing steps).
    huge = [base[0], (0.2, thinking(1)), (0.3, thinking(31_996_129_551)), *base[2:]]
    finding = only(timed(huge), Rule.MISSING_EVENT)
    assert finding.message.startswith("agent_thinking steps 2, 3, 4, 5, 6 … never arrived")


def test_server_timestamps_going_back_are_evidence_of_reorder() -> None:
    items = [(t, dict(body, timestamp=1757867400.0 + t)) for t, body in golden_run()]
    items[3] = (items[3][0], dict(items[3][1], timestamp=1757867399.5))
    finding = only(stream(items), Rule.OUT_OF_ORDER)
    assert finding.severity is Severity.WARNING
    assert "server timestamp 1.000 s older than that of tool_executing" in finding.message
    assert Rule.OUT_OF_ORDER not in rules(
        stream([(t, dict(b, timestamp=1757867400.0 + t)) for t, b in golden_run()])
    )


def test_thinking_during_a_tool_call() -> None:
    items = golden_run()
    items[1], items[2] = (items[1][0], items[2][1]), (items[2][0], items[1][1])
    finding = only(stream(items), Rule.OUT_OF_ORDER)
    assert (
        "agent_thinking at +0.50 s arrived while tool_executing for cost_analyzer"
        in finding.message
    )


# -- timing ------------------------------------------------------------------------------------


def test_gap_longer_than_limit() -> None:
    items = golden_run()
    items[-1] = (31.5, items[-1][1])
    finding = only(stream(items), Rule.GAP_TOO_LONG)
    assert finding.message == (
        "run t1/r1 went silent for 30.8 s between tool_completed for cost_analyzer at +0.75 s and "
        "agent_completed at +31.50 s (limit 30 s)"
    )
    assert Rule.GAP_TOO_LONG not in rules(stream(golden_run(step=29.0)))


def test_run_longer_than_limit_and_configurable() -> None:
    events = stream(golden_run(step=25.0))
    assert Rule.RUN_TOO_LONG not in rules(events)
    tight = ContractContext(config=ContractConfig(max_run_s=60.0, max_gap_s=30.0))
    finding = only(events, Rule.RUN_TOO_LONG, tight)
    assert (
        "took 100.0 s from agent_started at +0.00 s to agent_completed at +100.00 s"
        in finding.message
    )


def test_heartbeat_missing_while_idle() -> None:
    quick = ContractConfig(heartbeat_interval_s=10.0, heartbeat_grace_s=2.0)
    idle = stream([(0.0, {"type": "connection_established"})], golden_run(t0=20.0))
    finding = only(idle, Rule.HEARTBEAT_MISSING, ContractContext(config=quick))
    assert finding.message.startswith(
        "no frame for 20.0 s between connection_established at +0.00 s"
    )
    beating = stream(
        [(0.0, {"type": "connection_established"}), (10.5, {"type": "heartbeat"})],
        golden_run(t0=20.0),
    )
    assert Rule.HEARTBEAT_MISSING not in rules(beating, ContractContext(config=quick))


def test_heartbeat_missing_until_session_end() -> None:
    quick = ContractConfig(heartbeat_interval_s=10.0, heartbeat_grace_s=2.0)
    context = ContractContext(config=quick, session_end=40.0)
    finding = only(stream(golden_run()), Rule.HEARTBEAT_MISSING, context)
    assert "to the end of the session at +40.00 s" in finding.message


# -- ownership ---------------------------------------------------------------------------------


def test_event_of_another_user() -> None:
    events = stream(
        golden_run(), [(1.1, frame("agent_thinking", user="u2", run="r9", reasoning="x"))]
    )
    found = check_run(events, context=OWNER).by_rule(Rule.FOREIGN_EVENT)
    assert len(found) == 1
    assert (
        "carries user_id 'u2', not this session's 'u1': cross-user contamination"
        in found[0].message
    )


def test_event_of_another_thread() -> None:
    events = stream(golden_run(thread="t2"))
    found = check_run(events, context=OWNER).by_rule(Rule.FOREIGN_EVENT)
    assert found and "carries thread_id 't2'" in found[0].message
    assert Rule.FOREIGN_EVENT not in rules(events)  # nothing expected, nothing to compare


def test_connection_established_truncated_user_is_not_foreign() -> None:
    events = stream([(0.0, {"type": "connection_established", "data": {"user_id": "u1-lo..."}})])
    assert Rule.FOREIGN_EVENT not in rules(events, OWNER)


def test_demo_user_means_isolation_cannot_be_verified() -> None:
    events = stream(golden_run(user="demo-user-001"))
    report = check_run(events, context=OWNER)
    assert Rule.FOREIGN_EVENT not in {f.rule for f in report.findings}
    (finding,) = report.by_rule(Rule.ISOLATION_UNVERIFIED)
    assert "synthetic user id 'demo-user-001'" in finding.message
    assert report.verdict.startswith("NOT PROVEN: auth was bypassed")


# -- frames, errors, closes --------------------------------------------------------------------


def test_invalid_and_unknown_frames() -> None:
    events = stream(
        golden_run(), [(1.1, '{"type": "agent_tho'), (1.2, {"type": "agent_telemetry"})]
    )
    report = check_run(events)
    (invalid,) = report.by_rule(Rule.INVALID_FRAME)
    assert invalid.message.startswith(
        "the server sent an unusable frame: frame #5 at +1.10 s is not a valid event "
        "(not valid JSON"
    )
    (unknown,) = report.by_rule(Rule.UNKNOWN_FRAME)
    assert unknown.severity is Severity.INFO
    assert unknown.message == "1 frame of unknown type 'agent_telemetry' at +1.20 s"


def test_error_frame_names_code_and_message() -> None:
    error = {
        "type": "error_message",
        "error_code": "AUTH_FAILED",
        "error_message": "Authentication failed",
    }
    report = check_run(stream([(0.02, error)]))
    assert report.verdict == (
        "FAIL: error_message AUTH_FAILED at +0.02 s: Authentication failed; "
        "1 other finding (1 warning)"
    )


def test_error_text_is_scrubbed() -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)
    error = {"type": "error", "error_code": "X", "error_message": f"bad token {token}"}
    report = check_run(stream([(0.0, error)]))
    assert token not in report.verdict and "eyJ…#" in report.verdict


def test_abnormal_close_is_explained() -> None:
    context = ContractContext(marks=(Mark("close", 1.5, {"code": 1011, "reason": ""}),))
    finding = only(stream(golden_run()), Rule.CONNECTION_CLOSED, context)
    assert finding.message.startswith("connection closed at +1.50 s: 1011 internal error")
    normal = ContractContext(marks=(Mark("close", 1.5, {"code": 1000}),))
    assert Rule.CONNECTION_CLOSED not in rules(stream(golden_run()), normal)


# -- report ------------------------------------------------------------------------------------


def test_nothing_observed_is_never_a_pass() -> None:
    report = check_run([])
    assert not report.ok
    assert (
        report.verdict == "INCONCLUSIVE: no agent events observed (no frames at all); "
        "no run contract could be checked"
    )
    controls = check_run(
        stream([(0.0, {"type": "connection_established"}), (1.0, {"type": "pong"})])
    )
    assert not controls.ok and "2 frames: 1× connection_established, 1× pong" in controls.verdict


def test_verdict_counts_the_other_findings() -> None:
    items: list[Item] = [item for item in golden_run() if item[1]["type"] != "agent_completed"]
    items.append((5.0, '{"broken'))
    report = check_run(stream(items))
    assert report.verdict.startswith("FAIL: run t1/r1 never completed")
    assert report.verdict.endswith("; 1 other finding (1 error)")


def test_to_frame_to_dict_and_raise() -> None:
    events = stream(golden_run()[:-1])
    report = check_run(events)
    frame_ = report.to_frame()
    assert list(frame_.columns) == [
        "rule",
        "severity",
        "run",
        "thread_id",
        "run_id",
        "t",
        "indices",
        "times",
        "message",
    ]
    assert frame_.loc[0, "rule"] == "no_terminal" and frame_.loc[0, "run"] == "t1/r1"
    data = report.to_dict()
    assert data["ok"] is False and data["counts"] == {"error": 1, "warning": 0, "info": 0}
    assert data["findings"][0]["thread_id"] == "t1"
    with pytest.raises(ContractViolation) as info:
        report.raise_for_findings()
    assert info.value.findings == report.errors
    assert str(info.value) == report.verdict
    warn_only = check_run(stream(golden_run(user="demo-user-001")), context=OWNER)
    assert warn_only.raise_for_findings() is warn_only
    with pytest.raises(ContractViolation):
        warn_only.raise_for_findings("warning")
    with pytest.raises(ValueError, match="unknown severity 'fatal'"):
        warn_only.raise_for_findings("fatal")


def test_custom_checks_compose() -> None:
    def no_slow_tools(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
        for te in events:
            if te.type == "tool_completed" and (te.event.duration_s or 0) > 0.1:
                yield Finding(
                    "slow_tool",
                    Severity.WARNING,
                    f"{te.event.tool_name} was slow",
                    None,
                    (te.index,),
                    (te.t,),
                )

    report = check_run(stream(golden_run()), checks=(*DEFAULT_CHECKS, no_slow_tools))
    (finding,) = report.by_rule("slow_tool")
    assert finding.message == "cost_analyzer was slow" and report.ok


def test_a_crashing_check_becomes_a_finding() -> None:
    def broken(events: Sequence[TimedEvent], context: ContractContext) -> list[Finding]:
        raise KeyError("oops")

    report = check_run(stream(golden_run()), checks=(*DEFAULT_CHECKS, broken))
    (finding,) = report.by_rule(Rule.CHECK_CRASHED)
    assert "broken crashed: KeyError: 'oops'" in finding.message
    assert not report.ok


def test_slow_first_event_after_the_request() -> None:
    slow = ContractContext(
        config=ContractConfig(max_first_event_s=5.0),
        marks=(Mark("message_sent", 0.0, {"type": "user_message"}),),
    )
    finding = only(stream(golden_run(t0=6.0)), Rule.SLOW_FIRST_EVENT, slow)
    assert finding.message == (
        "run t1/r1's first event (agent_started at +6.00 s) came 6.00 s after the request at "
        "+0.00 s (limit 5 s)"
    )
    assert Rule.SLOW_FIRST_EVENT not in rules(stream(golden_run(t0=4.0)), slow)
    # An outgoing ping is not a request.
    pinged = ContractContext(
        config=ContractConfig(max_first_event_s=5.0),
        marks=(Mark("frame_out", 0.0, {"type": "ping"}),),
    )
    assert Rule.SLOW_FIRST_EVENT not in rules(stream(golden_run(t0=6.0)), pinged)


def test_oversized_frame_by_text_length() -> None:
    big = frame("partial_result", content="x" * 2048)
    small = ContractContext(config=ContractConfig(max_message_size=1024))
    finding = only(stream(golden_run(), [(1.1, big)]), Rule.OVERSIZED_FRAME, small)
    assert finding.message.startswith("partial_result at +1.10 s is 2,")
    assert Rule.OVERSIZED_FRAME not in rules(stream(golden_run()), small)


def test_close_without_a_code_is_1006() -> None:
    context = ContractContext(marks=(Mark("close", 1.5, {}),))
    finding = only(stream(golden_run()), Rule.CONNECTION_CLOSED, context)
    assert "1006" in finding.message and finding.times == (1.5,)


def test_agent_error_as_terminal_is_a_failure_with_a_reason() -> None:
    items = golden_run()
    items[-1] = (items[-1][0], frame("agent_error", error_code="LLM_QUOTA", error="quota exceeded"))
    report = check_run(stream(items), context=OWNER)
    assert report.verdict.startswith(
        "FAIL: agent_error LLM_QUOTA at +1.00 s in run t1/r1: quota exceeded"
    )
    assert report.by_rule(Rule.ALTERNATE_TERMINAL)


def test_without_the_observed_check_nothing_is_still_not_a_pass() -> None:
    report = check_run([], checks=())
    assert not report.ok
    assert (
        report.verdict
        == "INCONCLUSIVE: no agent events observed in 0 runs, 0 events; nothing was checked"
    )


def test_the_verdict_counts_agent_events_apart_from_other_frames() -> None:
    # probe said "events=8" and trace "9 events" of the same session: the ninth frame was its
    # connection_established.
    items: list[Item] = [(0.0, frame("connection_established")), *golden_run()]
    report = check_run(stream(items), context=OWNER)
    assert report.ok, report.findings
    assert report.verdict == "PASS: 1 run, 5 agent events in 6 frames; every contract held"
