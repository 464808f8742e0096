"""A lost or swapped tool frame is one finding, naming the call it hit.

- ``tool_executing`` and ``tool_completed`` swapped on the way (the service's ``reorder`` fault)
  was an orphaned ``tool_completed``, an unfinished ``tool_executing`` and a warning for every
  thought after it: three or four findings for one swap. Now: one, "tool_completed ... came
  before its tool_executing at ...".
- A lost ``tool_completed`` of a tool the run called twice blamed the second call (which did
  complete) and added a "thinking while the tool ran" warning for the first: now the one
  finding names the first call, whose end never came.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from event_streams import frame, golden_run, stream
from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, Fault, TimingProfile, run_service
from netra_diag.events.contracts import Rule, Severity, check_run
from netra_diag.events.sources import load_cassette_stream
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# One thinking step and one tool call per run: a swap is then of two named neighbours.
SCRIPT = TimingProfile.instant(thinking_steps=(1, 1), tool_calls=(1, 1))


async def test_a_swapped_tool_pair_is_one_finding(tmp_path: Path) -> None:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=SCRIPT, seed=5)
    path = tmp_path / "reorder.jsonl"
    async with run_service(config) as svc:
        url = svc.ws_url("/ws", faults="reorder", envelope="b", time_scale="0")
        token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=time.time())
        async with Session.connect(url, token=token, record=path) as session:
            for i in range(12):
                await session.run(f"request {i}", timeout=scaled(1.0))
        swaps = [item for item in svc.fault_log if item.fault is Fault.REORDER]
    stream_ = load_cassette_stream(path)
    report = check_run(stream_.events, context=stream_.context())
    tool_swaps = [
        item
        for item in swaps
        if re.fullmatch(r"tool_completed #\d+ sent before tool_executing #\d+", item.detail)
    ]
    assert tool_swaps, [item.detail for item in swaps]  # the seed swaps some tool pairs
    for item in tool_swaps:
        found = [f for f in report.findings if f.run is not None and f.run.run_id == item.run_id]
        assert len(found) == 1, (item.detail, found)
        assert found[0].rule is Rule.OUT_OF_ORDER and found[0].severity is Severity.ERROR
        assert "came before its tool_executing at" in found[0].message


def test_a_lost_completion_of_a_tool_called_twice_names_the_first_call() -> None:
    items = golden_run(tools=("log_search", "log_search"))
    # started, thinking, exec 1 (+0.50), completed 1 (lost), thinking, exec 2, completed 2, done
    items[3] = (items[3][0], frame("agent_thinking", reasoning="next query"))
    for i in (4, 5):  # the second call is another call, not a resend of the first
        items[i] = (items[i][0], {**items[i][1], "parameters": {"q": 2}, "results": {"rows": 4}})
    report = check_run(stream(items))
    assert [(f.rule, f.severity) for f in report.findings] == [
        (Rule.UNFINISHED_TOOL, Severity.ERROR)
    ], report.findings
    assert report.findings[0].message.startswith(
        "tool_executing for log_search at +0.50 s never completed"
    )


def test_thinking_while_a_tool_ran_in_a_run_cut_off_is_still_said() -> None:
    # The connection dropped after the thought: the call was running when it came (a swap of
    # tool_executing before agent_thinking), which only this warning shows.
    items = golden_run()[:4]  # started, thinking, tool_executing, tool_completed
    items[1], items[2] = (items[1][0], items[2][1]), (items[2][0], items[1][1])
    del items[3]  # cut off before the tool completed and before agent_completed
    report = check_run(stream(items))
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    assert [f.rule for f in warnings] == [Rule.OUT_OF_ORDER], report.findings
    assert "arrived while tool_executing for cost_analyzer" in warnings[0].message


def test_the_timeline_draws_the_call_the_contract_names_as_never_completed() -> None:
    from netra_diag.events.spans import SpanKind
    from netra_diag.events.timeline import build_timeline

    items = golden_run(tools=("log_search", "log_search"))
    items[3] = (items[3][0], frame("agent_thinking", reasoning="next query"))
    for i in (4, 5):
        items[i] = (items[i][0], {**items[i][1], "parameters": {"q": 2}, "results": {"rows": 4}})
    events = stream(items)
    (unfinished,) = check_run(events).by_rule(Rule.UNFINISHED_TOOL)
    tools = [s for s in build_timeline(events, ()).spans if s.kind is SpanKind.TOOL]
    never = [s for s in tools if "never completed" in s.detail]
    # The first call (+0.50 s) is the one drawn unfinished; the second is drawn to its end.
    assert [s.start for s in never] == [0.5] == list(unfinished.times), tools
    (done,) = [s for s in tools if s not in never]
    assert (done.start, done.end) == (1.0, 1.25), tools
