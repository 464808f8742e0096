"""``netra-diag report`` refuses a parameter given twice: ``-p results a.xml -p results b.xml``
triaged b.xml alone, without a word, where a user meant both."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main


def test_a_parameter_given_twice_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    for path in (first, second):
        path.write_text("<testsuites/>", encoding="utf-8")
    argv = ["report", "suite_triage", "-p", "results", str(first), "-p", "results", str(second)]
    code = main([*argv, "--out", str(tmp_path / "out"), "--no-html"])
    assert code == 2
    err = capsys.readouterr().err
    assert "parameter 'results' given more than once; give it once" in err
    assert "-p results a.xml,b.xml" in err
    assert not (tmp_path / "out").exists()  # refused before anything ran
