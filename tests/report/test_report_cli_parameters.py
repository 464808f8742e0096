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


def test_out_naming_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # `--out report.html` made a folder report.html/ holding suite_triage.html and the rest.
    out = tmp_path / "report.html"
    assert main(["report", "suite_triage", "--out", str(out), "--no-html"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out} names a file; --out is the folder the report's files go into" in err
    assert f"e.g. --out {tmp_path / 'report'}" in err
    assert not out.exists()
    # A folder of that name made on purpose is still used.
    out.mkdir()
    assert main(["report", "suite_triage", "--out", str(out), "--no-html"]) == 7
    assert (out / "suite_triage.json").is_file()
