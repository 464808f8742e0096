"""Where ``netra-diag trace`` writes: a new folder for ``-o``/``--html`` is created, as
``--record`` creates its own (it failed with "No such file or directory" after the whole
analysis); an empty ``-o`` or ``--html`` is a usage error said first (it was written as the
current folder: "cannot write : Is a directory"). On a cassette of one real run against the
reference service."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from live_kit import record_one_run

from netra_diag.cli import main


@pytest.fixture
async def cassette(tmp_path: Path) -> Path:
    path = tmp_path / "run.jsonl"
    await record_one_run(path)
    return path


def test_outputs_in_new_folders_are_written(
    cassette: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "deeper" / "trace.json"
    html = tmp_path / "pages" / "timeline.html"
    code = main(["trace", str(cassette), "-o", str(out), "--html", str(html)])
    said = capsys.readouterr()
    assert code == 0, said
    assert json.loads(out.read_text())["traceEvents"]
    assert "<html>" in html.read_text()
    assert f"wrote {out}: " in said.out and f"wrote {html}" in said.out


def test_a_file_where_the_folder_should_be_is_named(
    cassette: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("")
    out = tmp_path / "afile" / "trace.json"
    assert main(["trace", str(cassette), "-o", str(out)]) == 2
    assert f"cannot write {out}: Not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["-o", "--html"])
def test_an_empty_output_is_a_usage_error(
    flag: str, cassette: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["trace", str(cassette), flag, ""]) == 2
    said = capsys.readouterr()
    assert said.err.strip() == f"netra-diag trace: error: {flag} is empty: give a file name"
    assert said.out == ""  # said before any cassette was judged
