"""A ``tool_executing`` swapped before the previous call's ``tool_completed`` (``reorder``).

PROTOCOL.md §5 orders tool events by "every tool_completed follows an unmatched tool_executing
of the same tool": tool calls may overlap. The swap leaves exactly that, two overlapping calls
each completed after its own start, and the frames' timestamps and sequence numbers are stamped
as they are sent, so they are in order too: nothing recorded differs from a service running the
two calls side by side. The diagnosis once counted such a swap as missed; it is named "not
observable" with the reason, and counted neither as diagnosed nor as missed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from netra_diag import investigation
from netra_diag.cli.demo import _unobservable_line
from netra_diag.events.sources import load_cassette_stream

# Every run swaps two neighbours once; with this seed one run swaps a tool_executing before
# the previous call's tool_completed, and the other swaps are of kinds a contract rule sees.
FAULTS = "reorder@1.0"
OVERLAP = r"tool_executing #\d+ sent before tool_completed #\d+"


def _tool_events(record_dir: Path, run_id: str) -> list[tuple[str, str, float | None]]:
    """``(event type, tool_call_id, service timestamp)`` of the tool events of ``run_id``, in
    the order they arrived."""
    found = []
    for cassette in sorted(record_dir.glob("*.jsonl")):
        for te in load_cassette_stream(cassette).events:
            if te.event.run_id == run_id and te.type in ("tool_executing", "tool_completed"):
                found.append((te.t, str(te.type), str(te.event.get("tool_call_id")), te))
    found.sort(key=lambda item: item[0])
    return [(kind, call, te.event.timestamp) for _, kind, call, te in found]


async def test_a_tool_call_started_before_the_previous_completed_is_not_observable(
    tmp_path: Path,
) -> None:
    config = investigation.CollectConfig(
        users=4, runs=3, faults=FAULTS, time_scale=0.05, run_timeout=1.0, seed=4
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    inv = investigation.analyse(collection.record_dir, results=[])
    table: pd.DataFrame = inv.injected
    reorders = table[table["fault"] == "reorder"]
    overlaps = reorders[reorders["detail"].str.fullmatch(OVERLAP)]
    assert len(overlaps), table.to_string()  # the seed makes this swap in some run

    findings = inv.findings_frame()
    for row in overlaps.itertuples():
        events = _tool_events(collection.record_dir, str(row.run_id))
        kinds = [kind for kind, _, _ in events]
        # The recording: a call started before the previous one completed, and each completion
        # names its own call and came after that call's start.
        assert any(
            kinds[k : k + 3] == ["tool_executing", "tool_executing", "tool_completed"]
            for k in range(len(kinds))
        ), events
        started = set()
        for kind, call, _ in events:
            if kind == "tool_executing":
                started.add(call)
            else:
                assert call in started, events
        stamps = [stamp for _, _, stamp in events if stamp is not None]
        assert stamps == sorted(stamps), events  # stamped as sent: in arrival order
        in_run = findings[findings["run_id"] == row.run_id]
        assert in_run.empty, in_run.to_string()  # the contract check finds nothing to say
        assert not row.observable and not row.detected, row
        assert str(row.detected_by).startswith(
            "not observable: a tool_executing sent before the previous tool call's"
        ), row

    # Every other swap is still diagnosed by the rule it breaks.
    assert reorders[reorders["observable"]]["detected"].all(), reorders.to_string()
    summary = inv.to_summary()
    assert summary["injected_missed"] == {}, table.to_string()
    assert summary["injected_unobservable"].get("reorder (tool_executing)") == len(overlaps)
    line = _unobservable_line(summary["injected_unobservable"])
    assert "the protocol lets tool calls overlap" in line, line
