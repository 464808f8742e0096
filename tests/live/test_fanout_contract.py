"""Fan-out judges every frame each session received with the event contract (as probe and trace
do), counts closes by their code, and does not count runs never sent after a close as lost.
Against the embedded reference service on a loopback port, with faults injected."""

from __future__ import annotations

import pytest
from timeouts import scaled

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.fanout import exit_code_for
from netra_diag.emulator import EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.live.fanout import run_fanout

EXPECTED = 6  # agent_started, 2 x agent_thinking, one tool pair, agent_completed


def config(faults: str) -> EmulatorConfig:
    timing = TimingProfile(time_scale=0.002, thinking_steps=(2, 2), tool_calls=(1, 1))
    return EmulatorConfig(timing=timing, faults=FaultPlan.parse(faults))


async def test_an_oversized_frame_is_a_contract_error_with_an_example() -> None:
    async with run_service(config("oversized_frame")) as svc:
        result = await run_fanout(
            svc.url,
            users=3,
            runs=1,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(5),
        )
    assert result.contract_errors.get("oversized_frame", 0) >= 1, result.summary()
    assert not result.ok
    assert exit_code_for(result) is ExitCode.CONTRACT
    text = result.summary()
    assert "contract: oversized_frame" in text and "e.g. fanout-user-" in text
    as_dict = result.to_dict()
    assert as_dict["contract"]["errors"] == result.contract_errors
    assert set(as_dict["contract"]["examples"]) == set(result.contract_errors)


async def test_a_clean_run_has_no_contract_errors() -> None:
    async with run_service(config("")) as svc:
        result = await run_fanout(
            svc.url, users=3, runs=2, expected_events=EXPECTED, progress=False
        )
    assert result.ok, result.summary()
    assert result.contract_errors == {} and result.runs_not_attempted == 0
    assert exit_code_for(result) is ExitCode.OK
    assert "not attempted" not in result.summary() and "e.g." not in result.summary()


async def test_a_close_is_counted_by_its_code_and_later_runs_are_not_attempted() -> None:
    async with run_service(config("close_1011_after_first_message")) as svc:
        result = await run_fanout(
            svc.url,
            users=2,
            runs=3,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(5),
        )
    assert result.errors.get("closed 1011") == 2, result.errors
    # the two runs after the close were never sent: not attempted, and nothing lost for them
    assert result.runs_not_attempted == 4
    skipped = result.runs[result.runs["outcome"] == "not_attempted"]
    assert sorted(skipped["run"]) == [1, 1, 2, 2]
    assert (skipped["events_lost"] == 0).all() and (skipped["close_code"] == 1011).all()
    assert result.events_lost == result.runs["events_lost"].sum()
    assert result.runs_completed == 0
    assert exit_code_for(result) is ExitCode.CONTRACT
    text = result.summary()
    assert "runs completed:     0/6 (4 not attempted" in text, text
    assert "closed 1011 ×2" in text


async def test_a_run_cut_by_1006_is_counted_once_as_closed() -> None:
    # A dropped connection (no close frame) used to count as 'closed 1006' and again as the
    # contract findings that only say the run stopped (no_terminal, missing_event,
    # unfinished_tool): four sessions showed up to eleven errors.
    async with run_service(config("disconnect_mid_run")) as svc:
        result = await run_fanout(
            svc.url,
            users=4,
            runs=3,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(5),
        )
    closed = "closed 1006 (no close frame: server gone)"
    assert result.errors == {closed: 4}, result.summary()
    assert result.contract_errors == {}
    # one error per session, and every run in exactly one category
    assert sum(result.errors.values()) == result.sessions_connected == 4
    outcomes = result.runs["outcome"].value_counts().to_dict()
    assert outcomes == {"closed": 4, "not_attempted": 8}, outcomes
    assert sum(outcomes.values()) == result.runs_total
    text = result.summary()
    assert "contract:" not in text and f"{closed} ×4" in text, text
    # a connection lost, as probe says of the same close (exit 5), not a contract problem
    assert exit_code_for(result) is ExitCode.CONNECTION


def test_only_what_the_cut_explains_is_left_out() -> None:
    from netra_diag.events.contracts import Finding, Rule, Severity
    from netra_diag.events.runs import RunKey
    from netra_diag.live.fanout_judge import cut_short

    run = RunKey("thread-u", "run-1")
    other = RunKey("thread-u", "run-2")

    def found(rule: Rule, key: RunKey = run, indices: tuple[int, ...] = ()) -> Finding:
        return Finding(rule, Severity.ERROR, "...", key, indices)

    assert cut_short(found(Rule.NO_TERMINAL), {"run-1"})
    assert cut_short(found(Rule.UNFINISHED_TOOL), {"run-1"})
    assert cut_short(found(Rule.MISSING_EVENT), {"run-1"})
    # a thinking step lost between two that arrived was lost before the cut
    assert not cut_short(found(Rule.MISSING_EVENT, indices=(3, 5)), {"run-1"})
    assert not cut_short(found(Rule.OVERSIZED_FRAME), {"run-1"})
    assert not cut_short(found(Rule.NO_TERMINAL, other), {"run-1"})


async def test_a_timed_out_run_is_counted_once_as_a_timeout() -> None:
    # The same double count as a close: 'timeout' and again 'contract: no_terminal' (and
    # unfinished_tool) for the run the client stopped waiting for.
    async with run_service(config("stall")) as svc:
        result = await run_fanout(
            svc.url, users=4, runs=1, expected_events=EXPECTED, progress=False, run_timeout=0.5
        )
    assert result.errors == {"timeout": 4}, result.summary()
    assert exit_code_for(result) is ExitCode.TIMEOUT


def test_help_says_a_cut_run_is_counted_once(capsys: pytest.CaptureFixture[str]) -> None:
    from netra_diag.cli import main

    with pytest.raises(SystemExit):
        main(["fanout", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a run cut by a close or a timeout is counted once, by that class" in text
