"""An agent event the service sends right behind a run's ``agent_completed``, in the demo's
single agent turn.

The turn's client once closed as soon as the terminal event came, so a frame the service sent
just after it was never read: with ``reorder`` swapping ``agent_completed`` before the run's
last ``agent_thinking``, the turn's recording showed a correct run, and the diagnosis counted the
injected swap as missed. The turn now reads until the service is quiet before closing, as
``probe`` and ``fanout`` do: the late frame is recorded, shown, and judged
``event_after_terminal``.
"""

from __future__ import annotations

from pathlib import Path

from netra_diag import investigation
from netra_diag.investigation.collect import TURN_CASSETTE

# With this seed the turn (the service's first run) swaps its agent_completed before its last
# agent_thinking: "agent_completed #5 sent before agent_thinking #4".
SEED = 3


async def _collect(where: Path, faults: str) -> investigation.Collection:
    """The demo's turn and one fan-out user's run, against the service injecting ``faults``."""
    config = investigation.CollectConfig(
        users=1, runs=1, faults=faults, time_scale=0.05, run_timeout=2.0, seed=SEED
    )
    return await investigation.collect(where / "rec", config)


async def test_the_turn_records_shows_and_judges_an_event_after_its_terminal(
    tmp_path: Path,
) -> None:
    collection = await _collect(tmp_path, "reorder@1.0")
    swapped = [f for f in collection.injected if f["user_id"] == "demo-engineer"]
    assert [f["detail"] for f in swapped] == ["agent_completed #5 sent before agent_thinking #4"]

    turn = collection.turn
    assert turn is not None and turn.record.ok
    assert [te.type for te in turn.record.events][-1] == "agent_completed"
    assert [te.type for te in turn.after] == ["agent_thinking"]
    lines = investigation.describe_turn(turn)
    late = [line for line in lines if "agent_thinking" in line and "<<" in line]
    assert late and late[0].endswith("<< after the terminal event"), lines
    assert any(
        line.startswith("contract: 1 agent event after the terminal event") for line in lines
    )

    inv = investigation.analyse(collection.record_dir, results=[])
    findings = inv.findings_frame()
    run_id = swapped[0]["run_id"]
    rules = set(findings[findings["run_id"] == run_id]["rule"])
    assert "event_after_terminal" in rules, findings.to_string()
    table = inv.injected
    row = table[table["run_id"] == run_id].iloc[0]
    assert row["observable"] and row["detected"], row
    assert (collection.record_dir / TURN_CASSETTE).read_text().count('"agent_thinking"') >= 2


async def test_a_turn_without_anything_after_its_terminal_shows_nothing_more(
    tmp_path: Path,
) -> None:
    collection = await _collect(tmp_path, "")
    turn = collection.turn
    assert turn is not None and turn.record.ok and turn.after == ()
    lines = investigation.describe_turn(turn)
    assert not any("<<" in line or line.startswith("contract:") for line in lines), lines
