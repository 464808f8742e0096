"""A stall in a run whose agent_completed was dropped (``stall`` and ``drop_event`` in one run).

The run's no_terminal finding is the drop's evidence, not the stall's: the diagnosis once
credited the stall with it whatever the recording showed. A stall is diagnosed by its own
silence (the event gap it left); one that held back the very agent_completed the drop then took
left no silence that ended, so nothing recorded differs from the drop alone: it is named "not
observable" with the reason, and counted neither as diagnosed nor as missed."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
from injected_runs import collect_and_analyse, run_events

from netra_diag.cli.demo import _unobservable_line

STALL_S = 0.5
# Every run stalls once and drops one event; with this seed some runs drop their agent_completed
# with the stall before another event, and some with the stall holding that agent_completed.
FAULTS = f"stall,drop_event,stall_s={STALL_S:g}"


def _recorded(record_dir: Path, run_id: str) -> list[tuple[str, float]]:
    """``(event type, client time in s)`` of every event of ``run_id`` the cassettes hold."""
    return [(str(te.type), float(te.t)) for te in run_events(record_dir, run_id)]


async def test_a_stall_beside_a_dropped_agent_completed_is_judged_by_its_own_silence(
    tmp_path: Path,
) -> None:
    record_dir, inv = await collect_and_analyse(tmp_path, FAULTS, users=6, time_scale=0.1, seed=1)
    table: pd.DataFrame = inv.injected
    lost_end = set(
        table[(table["fault"] == "drop_event") & (table["event_type"] == "agent_completed")][
            "run_id"
        ]
    )
    stalls = table[(table["fault"] == "stall") & table["run_id"].isin(lost_end)]
    held = stalls[stalls["event_type"] == "agent_completed"]
    apart = stalls[stalls["event_type"] != "agent_completed"]
    assert len(held) and len(apart), table.to_string()  # the seed puts both in some runs

    for row in apart.itertuples():
        # The recording shows the stall: a gap of its length between two of the run's events.
        times = [t for _, t in _recorded(record_dir, str(row.run_id))]
        gap_s = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
        first = str(row.event_type) == "agent_started"
        assert first or gap_s >= 0.8 * STALL_S, (row, times)
        assert row.detected and row.observable, row
        assert str(row.detected_by).startswith("latency: "), row  # not "contract: no_terminal"

    for row in held.itertuples():
        # Nothing the stall held arrived: the run ends with the silence the drop alone leaves.
        types = [name for name, _ in _recorded(record_dir, str(row.run_id))]
        assert "agent_completed" not in types, (row, types)
        if row.detected:
            # A loaded machine can delay the run's first event past its limit: that latency,
            # never the drop's no_terminal, may then be what is credited.
            assert str(row.detected_by).startswith("latency: "), row
            continue
        assert not row.observable, row
        assert str(row.detected_by).startswith("not observable: the stall held back"), row

    summary = inv.to_summary()
    assert summary["injected_missed"] == {}, table.to_string()
    unseen = held[~held["detected"]]
    assert summary["injected_unobservable"].get("stall (agent_completed)", 0) == len(unseen)
    line = _unobservable_line(summary["injected_unobservable"])
    said = "a stall held back a run's agent_completed, which was then dropped" in line
    assert said == bool(len(unseen)), line
