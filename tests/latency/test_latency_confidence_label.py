"""--confidence 0.999 is labelled as such: the table's interval column and the summary's footer
read "99.9%", not "100%" (which claims a certainty no interval has)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main


def test_a_three_nines_interval_is_not_called_certain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "probe.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(cassette), "--time-scale", "0.1"]) == 0
    capsys.readouterr()
    argv = ["sla", "check", "service", str(cassette), "--confidence", "0.999", "--summary"]
    main([*argv, "--allow-missing"])
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[4:6] == ["99.9%", "CI"]
    assert "99.9% intervals in --json" in out
    assert "100%" not in out
