"""An SLA_FILE argument that is not an SLA file: a built-in name mistyped, or a recording given
first (the arguments swapped). The error says which, not "No such file" alone or a TOML syntax
error on line 1 of a JSON file."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main


@pytest.fixture(scope="module")
def cassette(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rec") / "probe.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(path), "--time-scale", "0.1"]) == 0
    return path


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(argv) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(("typed", "meant"), [("servce", "service"), ("remedation", "remediation")])
def test_a_mistyped_builtin_name_is_suggested(
    typed: str, meant: str, cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(["sla", "check", typed, str(cassette)], capsys)
    assert f"{typed}: cannot read SLA file: No such file or directory" in err
    assert f"did you mean the built-in SLA {meant!r}?" in err


def test_a_missing_file_path_is_not_taken_for_a_builtin(
    tmp_path: Path, cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(["sla", "check", str(tmp_path / "service.toml"), str(cassette)], capsys)
    assert "No such file" in err and "did you mean" not in err


def test_swapped_arguments_name_the_recording(
    cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(["sla", "check", str(cassette), "service"], capsys)
    assert f"{cassette}:1: this is a recording (a cassette), not an SLA file" in err
    assert "SLA_FILE comes first" in err
    assert "TOML syntax" not in err
    err = _error(["sla", "show", str(cassette)], capsys)
    assert "this is a recording (a cassette), not an SLA file" in err
