"""The diagnosis credits an oversized frame with a connection close only when that close was
1009 (message too big). In a session where the service also dropped the connection (1006, the
``disconnect_mid_run`` fault), the oversized frame was once "detected by connection_closed,
oversized_frame": one close named as the evidence of two faults."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation


async def test_a_1006_drop_is_not_evidence_of_an_oversized_frame(tmp_path: Path) -> None:
    config = investigation.CollectConfig(
        users=3,
        runs=2,
        faults="oversized_frame@1.0,disconnect_mid_run@0.5",
        time_scale=0.05,
        seed=6,
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    table = inv.injected
    oversized = table[table["fault"] == "oversized_frame"]
    dropped_users = set(table[table["fault"] == "disconnect_mid_run"]["user_id"])
    shared = oversized[oversized["user_id"].isin(dropped_users) & oversized["detected"]]
    assert len(shared), table.to_string()  # the seed puts both faults in one session
    for detected_by in shared["detected_by"]:
        assert detected_by.startswith("contract: oversized_frame"), detected_by
        assert "connection_closed" not in detected_by, detected_by
