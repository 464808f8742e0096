"""Connections the service dropped mid-run (1006, no close frame) are an infrastructure failure
in the investigation report, as in live_session: the report once called them a broken event
contract (connection_closed, no_terminal; exit 3) and its infrastructure check passed."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation, report
from netra_diag.cli.exit_codes import ExitCode


async def test_dropped_connections_fail_stayed_connected_not_the_contract(
    tmp_path: Path,
) -> None:
    config = investigation.CollectConfig(
        users=3, runs=1, faults="disconnect_mid_run@1.0", time_scale=0.1, seed=7
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    checks = {c.name: c for c in inv.checks}
    lost = checks["stayed_connected"]
    assert not lost.passed and str(lost.kind) == "infrastructure"
    assert " lost the connection mid-run (1006 ×" in lost.detail
    assert "broke the event contract" not in checks["contracts"].detail
    assert report.exit_code_for(inv.checks) is ExitCode.INFRASTRUCTURE
    assert "lost the connection mid-run" in inv.headline.split(";")[0]
    # The demo's diagnosis still sees each injected disconnect.
    summary = inv.to_summary()
    assert summary["injected_faults"] == summary["injected_detected"] > 0
