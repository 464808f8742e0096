"""An SLA check's statistic spelled as other tools spell it ('avg', '95th', 'p(95)', 'p100')
gets the error with its line and the statistic it stands for."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("avg", "mean"),
        ("95th", "p95"),
        ("p(99)", "p99"),
        ("99.9th", "p99.9"),
        ("p100", "max"),
        ("success rate", "success_rate"),
    ],
)
def test_a_statistic_spelled_otherwise_is_suggested(
    typed: str, meant: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sla = tmp_path / "sla.toml"
    threshold = "90 %" if meant == "success_rate" else "2 s"
    sla.write_text(
        '[[check]]\nid = "t"\nphase = "connect"\n'
        f'statistic = "{typed}"\ncomparison = "<"\nthreshold = "{threshold}"\n',
        encoding="utf-8",
    )
    assert main(["sla", "show", str(sla)]) == 2
    err = capsys.readouterr().err
    assert f"{sla}:4: field 'statistic': check #1: unknown statistic {typed!r}" in err
    assert f"(did you mean {meant!r}?)" in err


def test_no_guess_for_a_word_that_is_no_statistic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sla = tmp_path / "sla.toml"
    sla.write_text(
        '[[check]]\nphase = "connect"\nstatistic = "fastest"\ncomparison = "<"\n'
        'threshold = "2 s"\n',
        encoding="utf-8",
    )
    assert main(["sla", "show", str(sla)]) == 2
    assert "did you mean" not in capsys.readouterr().err
