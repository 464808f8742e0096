"""An output folder the report cannot write into is said before anything runs, as a usage
error naming the folder (exit 2): not a traceback after the run, not the demo's exit 1 (which
means "an injected fault went undiagnosed")."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from netra_diag.cli import main
from netra_diag.errors import NotebookError, UsageError
from netra_diag.report import run_report
from netra_diag.report.artifacts import prepare_out_dir, write_checked


def _notebook(tmp_path: Path) -> Path:
    nb = new_notebook()
    nb.cells.append(new_code_cell("x = 1"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    source = tmp_path / "tiny.ipynb"
    nbformat.write(nb, str(source))
    return source


def test_a_folder_where_the_summary_goes_is_refused_before_the_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "tiny.json").mkdir(parents=True)
    with pytest.raises(UsageError, match=r"tiny\.json is a folder, where the report writes"):
        run_report(_notebook(tmp_path), {}, out_dir=out, html=False)
    assert not (out / "tiny.ipynb").exists()  # nothing ran


def test_the_cli_says_it_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (out / "tiny.html").mkdir(parents=True)
    code = main(["report", str(_notebook(tmp_path)), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert f"error: --out {out}: tiny.html is a folder" in err


def test_a_write_that_fails_after_the_run_names_the_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.mkdir()
    with pytest.raises(NotebookError, match=r"report\.json: cannot write it: Is a directory"):
        write_checked(target, "{}", ())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_out_dir_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(UsageError, match="cannot write into it: Permission denied"):
            prepare_out_dir(out)
    finally:
        out.chmod(0o755)


@pytest.mark.parametrize("where", ["under-a-file", "report-file-is-a-folder"])
def test_the_demo_refuses_an_out_it_cannot_use_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    if where == "under-a-file":
        (tmp_path / "file").write_text("x", encoding="utf-8")
        out = tmp_path / "file" / "sub"
    else:
        out = tmp_path / "out"
        (out / "investigation_report.json").mkdir(parents=True)
    code = main(["demo", "--users", "1", "--runs", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 2, captured.out + captured.err
    assert "netra-diag demo: error: --out " in captured.err
    assert "== one agent turn" not in captured.out  # refused before anything ran
