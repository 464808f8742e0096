"""A cell that times out is said once, naming the cell: not also as nbclient's log line
'Timeout waiting for execute reply (3s).' on stderr."""

from __future__ import annotations

import logging
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report


def test_a_cell_timeout_is_not_logged_twice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nb = new_notebook()
    nb.cells.append(new_code_cell("import time\ntime.sleep(600)"))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "sleepy.ipynb"
    nbformat.write(nb, str(source))
    with caplog.at_level(logging.INFO):
        result = run_report(source, {}, out_dir=tmp_path / "out", cell_timeout=2, html=False)
    assert result.exit_code is ExitCode.NOTEBOOK
    assert "not finished within 2 s, stopped (cell timeout 2 s: --cell-timeout)" in str(
        result.error
    )
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if m.startswith("Timeout waiting for execute reply")], said


def test_a_dead_kernel_is_not_logged_twice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nb = new_notebook()
    nb.cells.append(new_code_cell("import os\nos._exit(3)"))
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "dies.ipynb"
    nbformat.write(nb, str(source))
    with caplog.at_level(logging.INFO):
        result = run_report(source, {}, out_dir=tmp_path / "out", html=False)
    assert result.exit_code is ExitCode.NOTEBOOK
    assert "DeadKernelError: Kernel died" in str(result.error)
    said = [r.getMessage() for r in caplog.records]
    assert not [m for m in said if m.startswith("Kernel died while waiting")], said
