"""Fan-out judges every frame each session received with the event contract (as probe and trace
do), counts closes by their code, and does not count runs never sent after a close as lost.
Against the embedded reference service on a loopback port, with faults injected."""

from __future__ import annotations

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
