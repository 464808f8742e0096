"""The live session panel says the run's event contract beside how it ended. It once read
"completed: 7 events in 978 ms" for a run whose agent_started the service had dropped: the
panel's only verdict on the events was that a terminal event came."""

from __future__ import annotations

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.widgets import LiveSessionPanel

# One thinking step and one tool call: losing any event of the run is visible in its types.
SCRIPT = TimingProfile.instant(thinking_steps=(1, 1), tool_calls=(1, 1))


async def test_a_completed_run_that_lost_an_event_shows_its_contract_failure(
    timeout_factor: float,
) -> None:
    async with run_service(EmulatorConfig(timing=SCRIPT, seed=1)) as service:
        broken = LiveSessionPanel(
            url=service.ws_url("/ws", faults="drop_event"), environ={}, timeout=timeout_factor
        )
        record = await broken.run()
        assert record is not None
        assert broken.contract is not None and not broken.contract.ok
        assert f"; contract {broken.contract.verdict}" in broken.outcome.value
        assert "contract FAIL: " in broken.outcome.value, broken.outcome.value
        await broken.stop()

        clean = LiveSessionPanel(url=service.url, environ={}, timeout=5 * timeout_factor)
        record = await clean.run()
        assert record is not None and record.ok
        assert clean.outcome.value.startswith("completed: ")
        assert "; contract PASS: 1 run" in clean.outcome.value, clean.outcome.value
        await clean.stop()
