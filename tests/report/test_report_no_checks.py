"""A notebook that records no check (a custom one that forgot to, or stopped recording) exits
0, as nothing failed; the headline and the exit line say that this pass proves nothing, rather
than a bare "exit: 0 (OK)"."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from netra_diag.cli import main


def test_no_check_recorded_is_said_to_prove_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = new_notebook()
    nb.cells.append(new_code_cell("x = 1"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    source = tmp_path / "bare.ipynb"
    nbformat.write(nb, str(source))
    code = main(["report", str(source), "--out", str(tmp_path / "out"), "--no-html"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0] == "no required checks were recorded: this pass proves nothing"
    assert "exit:     0 (OK, but the notebook recorded no check) in " in out


def test_json_output_for_refused_arguments_is_still_a_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    code = main(["report", "token_lab", "-p", "nosuch", "1", "--json"])
    captured = capsys.readouterr()
    assert code == 2
    doc = json.loads(captured.out)
    assert doc["exit_code"] == 2 and doc["status"] == "bad_input"
    assert "has no parameter 'nosuch'" in doc["error"]
    assert "has no parameter 'nosuch'" in captured.err


def test_the_help_names_what_each_class_now_covers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "the service closing a run with 1011" in text
    assert "cut short by the client sooner than the protocol's 30 s between events" in text
    assert "or the connection went away mid-run: 1001, 1006" in text
