"""``sla check`` on recordings that stop short (a probe killed mid-run, a cancelled CI job):
what was recorded is checked, and a warning names the cassette and the line where it stops,
so that the run it cuts off is not read as the service failing or being slow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netra_diag.cli import main

SLA = """\
[[check]]
id = "run-max"
phase = "run_total"
statistic = "max"
comparison = "<="
threshold = "60 s"

[[check]]
id = "first"
phase = "first_event"
statistic = "max"
comparison = "<"
threshold = "45 s"
"""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rec")
    whole = folder / "whole.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(whole), "--time-scale", "0.1"]) == 0
    (folder / "sla.toml").write_text(SLA, encoding="utf-8")
    return folder


def _check(
    folder: Path, cassette: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, dict[str, Any]]:
    """(exit code, the warnings as one text, the checks by id)."""
    capsys.readouterr()
    code = main(["sla", "check", str(folder / "sla.toml"), str(cassette), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == code
    return code, "\n".join(doc["warnings"]), {c["id"]: c for c in doc["checks"]}


def test_a_whole_recording_has_no_warning(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, warnings, _ = _check(recorded, recorded / "whole.jsonl", capsys)
    assert code == 0
    assert "stops mid-session" not in warnings


def test_a_recording_cut_mid_run_says_where_and_keeps_what_came_before(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (recorded / "whole.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    last_kept = next(i for i, line in enumerate(lines) if '"agent_completed"' in line)
    cut = recorded / "cut.jsonl"
    cut.write_text("".join(lines[:last_kept]), encoding="utf-8")
    code, warnings, checks = _check(recorded, cut, capsys)
    assert f"cut.jsonl: the recording stops mid-session at line {last_kept} " in warnings
    assert "no close recorded" in warnings
    # what came before the cut is still measured: the first event arrived and passes
    assert checks["first"]["status"] == "pass" and checks["first"]["n"] == 1
    assert checks["run-max"]["status"] == "no data"
    assert "the one run_total attempt failed or never finished" in checks["run-max"]["note"]
    assert code == 6


def test_a_recording_of_only_its_header_is_named(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header_only = recorded / "header.jsonl"
    first = (recorded / "whole.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[0]
    header_only.write_text(first, encoding="utf-8")
    code, warnings, _ = _check(recorded, header_only, capsys)
    assert "header.jsonl: holds only its header" in warnings
    assert code == 6


def test_many_cut_recordings_are_named_a_few_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole"
    argv = ["fanout", "--users", "6", "--runs", "1", "--time-scale", "0.1", "--no-progress"]
    assert main([*argv, "--record", str(whole)]) == 0
    cut = tmp_path / "cut"
    cut.mkdir()
    for cassette in sorted(whole.glob("*.jsonl")):
        lines = cassette.read_text(encoding="utf-8").splitlines(keepends=True)
        keep = next(i for i, line in enumerate(lines) if '"run_start"' in line) + 1
        (cut / cassette.name).write_text("".join(lines[:keep]), encoding="utf-8")
    (tmp_path / "sla.toml").write_text(SLA, encoding="utf-8")
    _, warnings, checks = _check(tmp_path, cut, capsys)
    lines = warnings.splitlines()
    assert len(lines) == 4, lines
    assert all("stops mid-session at line" in line for line in lines[:3])
    assert lines[3].startswith("3 more cassettes stop short as well (no close recorded")
    assert "all 6 run_total attempts failed or never finished" in checks["run-max"]["note"]


def test_a_folder_of_empty_recordings_is_an_error_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (folder / name).write_text("", encoding="utf-8")
    (tmp_path / "sla.toml").write_text(SLA, encoding="utf-8")
    for argv in ([str(folder)], [str(folder / "a.jsonl"), str(folder / "b.jsonl")]):
        capsys.readouterr()
        assert main(["sla", "check", str(tmp_path / "sla.toml"), *argv]) == 2
        err = capsys.readouterr().err
        assert "none of the 2 cassettes can be read" in err
        assert f"{folder / 'b.jsonl'}:1: not a cassette: no header on line 1 (empty file)" in err


def test_an_unreadable_baseline_is_an_error(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "last_week"
    empty.mkdir()
    for name in ("a.jsonl", "b.jsonl"):
        (empty / name).write_text("", encoding="utf-8")
    capsys.readouterr()
    argv = ["sla", "check", str(recorded / "sla.toml"), str(recorded / "whole.jsonl")]
    assert main([*argv, "--baseline", str(empty)]) == 2
    assert f"baseline {empty}: none of the 2 cassettes can be read" in capsys.readouterr().err


def test_the_summary_of_a_phase_with_no_value_shows_dashes(
    recorded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (recorded / "whole.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    cut = recorded / "cut_for_summary.jsonl"
    cut.write_text(
        "".join(lines[: next(i for i, ln in enumerate(lines) if '"run_start"' in ln) + 1])
    )
    capsys.readouterr()
    main(["sla", "check", str(recorded / "sla.toml"), str(cut), "--summary"])
    row = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("run_total "))
    assert row.split()[2:] == ["0", "1"] + ["-"] * 7, row
