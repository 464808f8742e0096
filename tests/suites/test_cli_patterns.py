"""Results named by a pattern that no shell expanded (quoted in a CI step, or a shell that does
not glob) are read as the files it matches; a pattern matching nothing says so. Real pytest
shards."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

_SHARD_A = "def test_a():\n    pass\n"
_SHARD_B = "def test_b():\n    assert False, 'broken'\n"


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("shards")
    out = where / "reports"
    run_history(where, _SHARD_A, [1], out=out, name="junit-a")
    run_history(where, _SHARD_B, [1], out=out, name="junit-b")
    return out


def test_a_quoted_pattern_reads_the_files_it_matches(
    shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["triage", str(shards / "junit-*.xml"), "--json"]) == ExitCode.FAILURE
    run = json.loads(capsys.readouterr().out)["run"]
    assert run["tests"] == 2
    assert run["sources"] == [str(shards / "junit-a.xml"), str(shards / "junit-b.xml")]


def test_a_baseline_pattern_too(shards: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["triage", str(shards / "junit-b.xml"), "--baseline", str(shards / "junit-?.xml")]
    assert main([*argv, "--json"]) == ExitCode.OK  # (test_b failed in the baseline too)
    assert json.loads(capsys.readouterr().out)["baseline"]["tests"] == 2


def test_a_pattern_matching_nothing_says_so(
    shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pattern = str(shards / "pytest-*.xml")
    assert main(["triage", pattern]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"{pattern}: no file matches this pattern" in err
    assert "cannot open" not in err


def test_a_file_whose_name_looks_like_a_pattern_is_read_as_named(
    shards: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "junit[1].xml"
    shutil.copyfile(shards / "junit-a.xml", odd)
    assert main(["triage", str(odd), "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["run"]["sources"] == [str(odd)]


def test_a_baseline_pattern_without_results_is_not_said_to_take_the_results(
    shards: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["triage", "--baseline", str(shards / "junit-*.xml")]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "give RESULTS files or --demo" in err
    assert "took every file after it" not in err
    # (names after --baseline are still said to have been taken by it)
    a, b = str(shards / "junit-a.xml"), str(shards / "junit-b.xml")
    assert main(["triage", "--baseline", a, b]) == ExitCode.USAGE
    assert f"--baseline took every file after it ({a} {b})" in capsys.readouterr().err
