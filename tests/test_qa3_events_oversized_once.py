"""An oversized frame (the service's ``oversized_frame`` fault: a partial_result over 1 MiB,
anywhere in the run) is one finding wherever it lands. One that landed before agent_started was
also "agent_started came after partial_result" (start_not_first), and one after agent_completed
also "1 event arrived after agent_completed" (event_after_terminal), which then led the verdict:
a client that enforces max_message_size never reads that frame (it closes 1009)."""

from __future__ import annotations

import time
from pathlib import Path

from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, Fault, TimingProfile, run_service
from netra_diag.events.contracts import Rule, check_run
from netra_diag.events.sources import load_cassette_stream
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

SCRIPT = TimingProfile.instant(thinking_steps=(1, 1), tool_calls=(1, 1))


async def test_each_oversized_frame_is_one_finding_wherever_it_lands(tmp_path: Path) -> None:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=SCRIPT, seed=2)
    path = tmp_path / "oversized.jsonl"
    async with run_service(config) as svc:
        url = svc.ws_url("/ws", faults="oversized_frame", envelope="b", time_scale="0")
        token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=time.time())
        async with Session.connect(url, token=token, record=path) as session:
            for i in range(10):
                await session.run(f"request {i}", timeout=scaled(2.0))
        injected = [item for item in svc.fault_log if item.fault is Fault.OVERSIZED_FRAME]
    stream = load_cassette_stream(path)
    report = check_run(stream.events, context=stream.context())
    assert len(injected) == 10
    assert [f.rule for f in report.errors] == [Rule.OVERSIZED_FRAME] * 10, report.findings
    # Every run still counts its five critical events, and the frames are still reported.
    assert len(report.runs) == 10
