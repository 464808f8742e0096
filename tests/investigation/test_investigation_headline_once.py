"""Connections dropped mid-run are said once in the investigation's headline. When other
sessions also broke the event contract, the headline once carried the whole "N runs in M
sessions lost the connection mid-run (1006 ×N: ...)" sentence twice: once from the failing
``stayed_connected`` check and again inside the failing ``contracts`` check."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation


async def test_dropped_connections_are_said_once_when_contracts_also_fail(
    tmp_path: Path,
) -> None:
    config = investigation.CollectConfig(
        users=3,
        runs=2,
        faults="disconnect_mid_run@0.5,duplicate_event@1.0",
        time_scale=0.05,
        seed=11,
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    checks = {c.name: c for c in inv.checks}
    lost, contracts = checks["stayed_connected"], checks["contracts"]
    assert not lost.passed and not contracts.passed, (lost, contracts)
    assert inv.headline.count(lost.detail) == 1, inv.headline
    assert lost.detail not in contracts.detail
    # The contracts check still says why those runs are not counted against the contract.
    assert "not counted as broken (see stayed_connected)" in contracts.detail
