"""A swap of two events (``reorder``) is credited with the finding the swap makes, not with what
a dropped tool frame in the same run left. With both faults in one run, the diagnosis once read
"reorder: contract: out_of_order, unfinished_tool": the unfinished tool call was the drop's;
and a swap whose event the drop had taken was "diagnosed" by that drop's finding alone."""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation


async def test_a_reorder_is_not_credited_with_a_drop_in_the_same_run(tmp_path: Path) -> None:
    config = investigation.CollectConfig(
        users=4, runs=3, faults="reorder@1.0,drop_event@1.0", time_scale=0.05, seed=9
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    table = inv.injected
    tool_drops = table[
        (table["fault"] == "drop_event")
        & table["event_type"].isin(["tool_executing", "tool_completed"])
    ]
    reorders = table[table["fault"] == "reorder"]
    shared = reorders[reorders["run_id"].isin(set(tool_drops["run_id"]))]
    assert len(shared), table.to_string()  # the seed puts both faults in some run
    for detected_by in reorders["detected_by"]:
        assert "unfinished_tool" not in detected_by, table.to_string()
        assert "orphan_tool_completed" not in detected_by, table.to_string()
    # Each swap and each drop of a tool frame is still diagnosed by what it leaves.
    assert tool_drops["detected"].all(), tool_drops.to_string()
    # A swap that left no order of its own (the drop took one of its events) is said so, and
    # only in a run that lost an event: it is neither diagnosed nor missed.
    hidden = reorders[~reorders["observable"]]
    dropped_runs = set(table[table["fault"] == "drop_event"]["run_id"])
    assert hidden["run_id"].isin(dropped_runs).all(), hidden.to_string()
    assert all(
        why.startswith("not observable: the same run also lost") for why in hidden["detected_by"]
    ), hidden.to_string()
    assert reorders[reorders["observable"]]["detected"].all(), reorders.to_string()
    summary = inv.to_summary()
    assert summary["injected_faults"] == summary["injected_detected"], summary
