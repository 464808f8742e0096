"""Write the notebooks in this folder from their cell texts, without outputs.

The .ipynb files are generated so that a change to a notebook is a readable diff of its source,
and so that they are always committed clean (no outputs, no execution counts, one
``parameters`` cell). Each notebook's cells are in ``notebook_sources/<notebook>.py``; edit a
notebook there, then run::

    .venv/bin/python notebooks/build_notebooks.py

``--check`` writes nothing and exits 1 naming the committed notebooks that differ from what this
script writes; ``tests/notebooks/test_notebooks.py`` runs it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from notebook_sources import (
    investigation_report,
    latency_sla,
    live_session,
    suite_triage,
    token_lab,
)
from notebook_sources.cells import Cell
from notebook_sources.writer import notebook_text

HERE = Path(__file__).resolve().parent

# Each notebook's file stem and its cells, in the order a stale check names them.
NOTEBOOKS: dict[str, list[Cell]] = {
    "live_session": live_session.CELLS,
    "token_lab": token_lab.CELLS,
    "suite_triage": suite_triage.CELLS,
    "latency_sla": latency_sla.CELLS,
    "investigation_report": investigation_report.CELLS,
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / f"{name}.ipynb"
        text = notebook_text(name, cells)
        if check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
