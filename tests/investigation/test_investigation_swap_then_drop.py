"""A run whose agent_completed the service swapped ahead of its last thinking step, then dropped
the connection (``reorder`` and ``disconnect_mid_run`` in one run): the client saw the run
complete and moved on, so the 1006 close landed in its next run. The diagnosis once called both
faults missed (the demo exited 1): the drop is the session's 1006 close, and the swapped
thinking step was never sent, so the swap is "not observable", with the reason."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation

FAULTS = (
    "drop_event@0.3,duplicate_event@0.3,reorder@0.3,stall@0.3,stall_s=3,malformed_frame@0.2,"
    "unknown_event_type@0.3,oversized_frame@0.2,leak_other_user@0.2,disconnect_mid_run@0.1"
)


async def test_a_swap_then_a_drop_in_one_run_is_neither_missed(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=8, runs=3, faults=FAULTS, time_scale=0.25, seed=11)
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    table = inv.injected
    both = [
        run
        for run in set(table["run_id"])
        if {"reorder", "disconnect_mid_run"} <= set(table[table["run_id"] == run]["fault"])
    ]
    assert both, table.to_string()  # the seed puts both faults in one run
    drops = table[table["fault"] == "disconnect_mid_run"]
    assert drops["detected"].all(), drops.to_string()
    missed = table[table["observable"] & ~table["detected"]]
    assert missed.empty, missed.to_string()
