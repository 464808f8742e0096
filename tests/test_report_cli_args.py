"""--cell-timeout and --timeout take sensible seconds or are refused (exit 2): 0 gave every
cell one second, nan stopped with a TraitError (exit 1), a negative --timeout one second too."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--cell-timeout", "0"),
        ("--cell-timeout", "-3"),
        ("--cell-timeout", "nan"),
        ("--cell-timeout", "inf"),
        ("--timeout", "-5"),
        ("--timeout", "nan"),
        ("--timeout", "soon"),
    ],
)
def test_odd_timeouts_are_refused_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stopped:
        main(["report", "token_lab", "--out", str(out), option, value])
    assert stopped.value.code == 2
    assert f"argument {option}: " in capsys.readouterr().err
    assert not out.exists()
