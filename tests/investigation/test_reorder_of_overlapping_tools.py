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
from injected_runs import collect_and_analyse, run_events

from netra_diag.cli.demo import _unobservable_line

# Every run swaps two neighbours once; with this seed one run swaps a tool_executing before
# the previous call's tool_completed, and the other swaps are of kinds a contract rule sees.
FAULTS = "reorder@1.0"
OVERLAP = r"tool_executing #\d+ sent before tool_completed #\d+"


def _tool_events(record_dir: Path, run_id: str) -> list[tuple[str, str, float | None]]:
    """``(event type, tool_call_id, service timestamp)`` of the tool events of ``run_id``, in
    the order they arrived."""
    return [
        (str(te.type), str(te.event.get("tool_call_id")), te.event.timestamp)
        for te in run_events(record_dir, run_id)
        if te.type in ("tool_executing", "tool_completed")
    ]


async def test_a_tool_call_started_before_the_previous_completed_is_not_observable(
    tmp_path: Path,
) -> None:
    record_dir, inv = await collect_and_analyse(tmp_path, FAULTS, users=4, time_scale=0.05, seed=4)
    table: pd.DataFrame = inv.injected
    reorders = table[table["fault"] == "reorder"]
    overlaps = reorders[reorders["detail"].str.fullmatch(OVERLAP)]
    assert len(overlaps), table.to_string()  # the seed makes this swap in some run

    findings = inv.findings_frame()
    for row in overlaps.itertuples():
        events = _tool_events(record_dir, str(row.run_id))
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
