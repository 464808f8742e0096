"""``netra-diag report`` says which cell it is waiting for while a slow one runs (a cell that
records a fan-out takes a minute): silence on a CI log reads as a hang."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report, runner


def test_a_slow_cell_gets_progress_lines_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "PROGRESS_EVERY_S", 0.5)
    nb = new_notebook()
    nb.cells.append(new_code_cell("x = 1"))
    nb.cells.append(new_code_cell("import time\ntime.sleep(2.5)"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    source = tmp_path / "slow.ipynb"
    nbformat.write(nb, str(source))
    said: list[str] = []
    result = run_report(source, {}, out_dir=tmp_path / "out", html=False, log=said.append)
    assert result.exit_code is ExitCode.OK, result.error
    ticks = [line for line in said if line.startswith("still running: ")]
    assert ticks, said
    assert all("'import time' (code cell 2 of 2) running for " in line for line in ticks), ticks
    # The fast cell never gets a line.
    assert not [line for line in said if "'x = 1'" in line]
