"""A collection at a slower pace than the default waits for its runs in proportion: with a fixed
5 s wait, every run at --time-scale 3 was cut short by the client and the report called each
session a broken event contract (no agent_completed) of a service that had done nothing wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation
from netra_diag.cli import main


def test_the_wait_for_a_run_follows_the_pace() -> None:
    assert investigation.CollectConfig().run_timeout_s == 5.0
    assert investigation.CollectConfig(time_scale=0.1).run_timeout_s == 5.0
    assert investigation.CollectConfig(time_scale=1.0).run_timeout_s == 20.0
    assert investigation.CollectConfig(time_scale=3, run_timeout=7.5).run_timeout_s == 7.5
    assert investigation.CollectConfig(time_scale=1.0).to_dict()["run_timeout"] == 20.0


async def test_runs_at_a_slow_pace_complete_and_keep_their_contract(tmp_path: Path) -> None:
    config = investigation.CollectConfig(users=2, runs=1, faults="", time_scale=3.0, seed=7)
    collection = await investigation.collect(tmp_path / "rec", config)
    assert collection.fanout["runs_completed"] == collection.fanout["runs_total"] == 2
    assert collection.turn is not None and collection.turn.record.ok
    inv = investigation.analyse(collection.record_dir, results=[])
    contracts = {c.name: c for c in inv.checks}["contracts"]
    assert contracts.passed and contracts.verified, contracts.detail


def test_the_demo_help_says_how_long_a_run_is_waited_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "each run is waited for 5 s at 0.25, longer in proportion at a slower pace" in text
    assert "'' for none (an unknown name is refused with the list of names;" in text
