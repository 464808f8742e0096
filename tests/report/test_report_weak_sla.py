"""An SLA that passes on too few samples is not a verified pass in the investigation report (as
in latency_sla): with the remediation SLA, whose every required check has data, a two-session
recording read "[pass] sla ... PASS" and counted among the checks that pass."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation


async def test_a_pass_on_few_samples_is_not_verified(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=1, runs=1, faults="", time_scale=0.1, seed=7)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, sla="remediation", results=[])
    assert inv.sla.weak_passes, "a two-session recording is too few samples"
    sla = {c.name: c for c in inv.checks}["sla"]
    assert sla.passed and sla.status == "not verified", sla.detail
