"""An injected reject_auth (the service refuses a valid token on one attempt; ``auto`` then gets
in on another transport) shows in the recording as a refused transport attempt: the demo once
counted every one as missed ("0 of 5 injected faults diagnosed", exit 1) and its auth check
said nothing of the refusals."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation


async def test_injected_auth_refusals_are_diagnosed_and_named(tmp_path: Path) -> None:
    config = investigation.CollectConfig(
        users=4, runs=1, faults="reject_auth@0.5", time_scale=0.1, seed=7
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    refused = [f for f in collection.injected if f.get("fault") == "reject_auth"]
    assert refused, "the seed injects at least one refusal"

    inv = investigation.analyse(collection.record_dir, results=[])
    summary = inv.to_summary()
    assert summary["injected_faults"] == len(refused)
    assert summary["injected_detected"] == len(refused)
    rows = inv.injected[inv.injected["fault"] == "reject_auth"]
    for by in rows["detected_by"]:
        assert str(by).startswith("auth: ") and " refused with close 1008 (" in str(by), by

    auth = {c.name: c for c in inv.checks}["auth"]
    assert auth.passed
    assert "got in only on a later transport after a refusal (header: closed 1008 ×" in auth.detail
