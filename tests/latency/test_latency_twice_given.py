"""Cassettes named twice (``runs/ runs/*.jsonl``) are read once, with a warning: read twice,
their runs counted half their attempts as never finished and the checks passed "only on the
attempts that finished"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.cli import main

SLA = '[[check]]\nid = "run"\nphase = "run_total"\nstatistic = "max"\ncomparison = "<="\n'
SLA += 'threshold = "60 s"\n'


def test_a_folder_and_its_files_are_read_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    argv = ["fanout", "--users", "3", "--runs", "1", "--time-scale", "0.1", "--no-progress"]
    assert main([*argv, "--record", str(runs)]) == 0
    sla = tmp_path / "sla.toml"
    sla.write_text(SLA, encoding="utf-8")
    files = sorted(str(p) for p in runs.glob("*.jsonl"))
    capsys.readouterr()
    assert main(["sla", "check", str(sla), str(runs), *files, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    check = doc["checks"][0]
    assert check["n"] == 3 and check["left_out"] == 0, check
    assert "never finished" not in check["note"]
    assert any(
        w.startswith("3 cassettes given more than once (a folder and its files?), read once: ")
        for w in doc["warnings"]
    ), doc["warnings"]


def test_a_copied_folder_is_not_counted_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    runs = tmp_path / "runs"
    argv = ["fanout", "--users", "3", "--runs", "1", "--time-scale", "0.1", "--no-progress"]
    assert main([*argv, "--record", str(runs)]) == 0
    shutil.copytree(runs, tmp_path / "copy")
    sla = tmp_path / "sla.toml"
    sla.write_text(SLA, encoding="utf-8")
    capsys.readouterr()
    main(["sla", "check", str(sla), str(runs), str(tmp_path / "copy"), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["checks"][0]["n"] == 3
    copies = [w for w in doc["warnings"] if "is a byte-for-byte copy of" in w]
    assert len(copies) == 3 and all(w.endswith(": read once") for w in copies)


def test_phase_metrics_reads_a_cassette_loaded_twice_once(tmp_path: Path) -> None:
    """The library too (a notebook's recordings list naming a folder and one of its files)."""
    from netra_diag.latency import phase_metrics
    from netra_diag.recording import load_frames

    runs = tmp_path / "runs"
    argv = ["fanout", "--users", "2", "--runs", "1", "--time-scale", "0.1", "--no-progress"]
    assert main([*argv, "--record", str(runs)]) == 0
    first = sorted(runs.glob("*.jsonl"))[0]
    once = phase_metrics(load_frames([runs]).frames)
    twice = phase_metrics(load_frames([runs, first]).frames)
    columns = ["cassette", "phase", "value_ms", "ok"]
    assert twice[columns].equals(once[columns])
    assert bool(once.loc[once["phase"] == "run_total", "ok"].all())
