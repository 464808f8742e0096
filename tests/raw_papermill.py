"""papermill itself, as a CI job runs a notebook without ``netra-diag report``.

``--execution-timeout``: a raw run has no cure for the lost wake-up that
``netra_diag.report.execution`` describes (jupyter/nbclient#312): a cell whose reply arrived
while the client handled a widget's output waits for its timeout, and without one for ever (a
run of these tests hung past pytest's 300 s). The poll's last check at the timeout finds the
reply, so the run then goes on as it should, late.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
CELL_TIMEOUT_S = 60


def papermill(
    tmp_path: Path, name: str, *params: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``papermill notebooks/NAME.ipynb out.ipynb -p KEY VALUE ...`` in ``tmp_path``."""
    pairs = [arg for i in range(0, len(params), 2) for arg in ("-p", *params[i : i + 2])]
    command = [sys.executable, "-m", "papermill", str(NOTEBOOKS / f"{name}.ipynb")]
    command += [str(tmp_path / "out.ipynb"), *pairs, "--no-progress-bar", "-k", "python3"]
    command += ["--execution-timeout", str(CELL_TIMEOUT_S)]
    return subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=tmp_path, env=env, timeout=280
    )
