"""Two thinking steps swapped on the way (the service's ``reorder`` fault) are one finding: step 2
arrived late. The contract once also said "agent_thinking step 2 never arrived" — false, it came
right after — so one injected fault was named twice, once wrongly."""

from __future__ import annotations

import re
import time
from pathlib import Path

from timeouts import scaled

from netra_diag.emulator import AuthMode, EmulatorConfig, Fault, TimingProfile, run_service
from netra_diag.events.contracts import Rule, Severity, check_run
from netra_diag.events.sources import load_cassette_stream
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# Three thinking steps and no tool: most swaps the service can make are two thinking steps.
SCRIPT = TimingProfile.instant(thinking_steps=(3, 3), tool_calls=(0, 0))


async def test_swapped_thinking_steps_are_one_finding_and_none_is_called_lost(
    tmp_path: Path,
) -> None:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=SCRIPT, seed=3)
    path = tmp_path / "reorder.jsonl"
    async with run_service(config) as svc:
        url = svc.ws_url("/ws", faults="reorder", envelope="d", time_scale="0")
        token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=time.time())
        async with Session.connect(url, token=token, record=path) as session:
            for i in range(8):
                await session.run(f"request {i}", timeout=scaled(1.0))
        swaps = [item for item in svc.fault_log if item.fault is Fault.REORDER]
    stream = load_cassette_stream(path)
    report = check_run(stream.events, context=stream.context())
    thinking_swaps = [
        item
        for item in swaps
        if re.fullmatch(r"agent_thinking #\d+ sent before agent_thinking #\d+", item.detail)
    ]
    assert thinking_swaps, [item.detail for item in swaps]  # the seed swaps some steps
    for item in thinking_swaps:
        errors = [
            f
            for f in report.findings
            if f.run is not None and f.run.run_id == item.run_id and f.severity is Severity.ERROR
        ]
        assert [f.rule for f in errors] == [Rule.OUT_OF_ORDER], (item.detail, errors)
        assert "never arrived" not in errors[0].message
