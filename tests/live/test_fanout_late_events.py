"""An event a run's service sends after that run's terminal event, in a fan-out of several runs per
user (against the embedded reference service on a loopback port, ``reorder`` injected).

With ``reorder`` swapping a run's ``agent_completed`` before its last ``agent_thinking``, that
thinking step arrives after the terminal event, often after the user's next message was sent.
The next run once took it for its own first event: it bound the earlier run's id, judged all of
its own events foreign, and waited out its whole timeout. The fan-out then reported timeouts and
"lost" events that every cassette held. Now the late event stays with its own run: counted as
received there (late, not lost), and named by the contract check (event_after_terminal).
"""

from __future__ import annotations

from pathlib import Path

from timeouts import scaled

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.cli.fanout import exit_code_for
from netra_diag.emulator import EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.events.model import CRITICAL_EVENTS
from netra_diag.events.sources import load_cassette_stream
from netra_diag.live.fanout import run_fanout

EXPECTED = 6  # agent_started, 2 x agent_thinking, one tool pair, agent_completed


async def test_a_late_event_stays_with_its_own_run(tmp_path: Path) -> None:
    timing = TimingProfile(time_scale=0.05, thinking_steps=(2, 2), tool_calls=(1, 1))
    config = EmulatorConfig(timing=timing, faults=FaultPlan.parse("reorder"), seed=0)
    async with run_service(config) as svc:
        result = await run_fanout(
            svc.url,
            users=4,
            runs=3,
            expected_events=EXPECTED,
            progress=False,
            run_timeout=scaled(5),
            record_dir=tmp_path,
        )
        log = list(svc.fault_log)
    swapped = [f for f in log if str(f.detail).startswith("agent_completed #")]
    assert swapped, [f.detail for f in log]  # the seed swaps some run's end

    assert result.runs_completed == 12, result.summary()
    assert set(result.runs["outcome"]) == {"completed"}, result.runs.to_string()
    assert result.events_lost == 0 and result.events_received == 72, result.summary()
    assert result.contract_errors.get("event_after_terminal", 0) >= len(swapped)
    assert exit_code_for(result) is ExitCode.CONTRACT
    # Every critical frame the cassettes hold is counted as received.
    assert _critical_frames(tmp_path) == result.events_received


def _critical_frames(folder: Path) -> int:
    return sum(
        te.type in CRITICAL_EVENTS
        for cassette in folder.glob("*.jsonl")
        for te in load_cassette_stream(cassette).events
    )
