"""A notebook that cannot reach the service exits 9 (infrastructure), as ``report --help``
says, not 8 (notebook error)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"


def test_a_service_that_is_down_is_an_infrastructure_failure(tmp_path: Path) -> None:
    url = closed_port()
    nb = new_notebook()
    params = new_code_cell('url = ""  # the service\nsummary_path = ""')
    params.metadata["tags"] = ["parameters"]
    collect = (
        "from netra_diag import investigation\n"
        "config = investigation.CollectConfig(users=1, runs=1, faults='')\n"
        "await investigation.collect('rec', config, url=url)"
    )
    nb.cells += [params, new_code_cell(collect)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    source = tmp_path / "collect.ipynb"
    nbformat.write(nb, str(source))
    result = run_report(source, {"url": url}, out_dir=tmp_path / "out", html=False)
    assert result.exit_code is ExitCode.INFRASTRUCTURE
    assert result.headline.startswith(f"infrastructure: could not connect to {url}")
    assert "nothing after it was checked" in result.headline
    assert [(c.name, c.status) for c in result.checks] == [("infrastructure", "FAIL")]
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    assert summary["exit_code"] == 9 and summary["status"] == "unreachable"
