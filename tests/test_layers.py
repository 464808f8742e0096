"""The layer rule: the pure core never pulls in I/O or presentation libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "netra_diag",
    "netra_diag.errors",
    "netra_diag.redaction",
    "netra_diag.wording",
    "netra_diag.events.model",
    "netra_diag.events.contracts",
    "netra_diag.events.timeline",
    "netra_diag.events.isolation",
    "netra_diag.events.trace",
    "netra_diag.closecodes",
    "netra_diag.synthetic_users",
    "netra_diag.tokens",
    "netra_diag.latency",
    "netra_diag.suites",
    "netra_diag.recording_format",
]
FORBIDDEN = ("websockets", "plotly", "ipywidgets", "papermill", "asyncio", "jupyterlab")


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_imports_no_io_or_presentation(module: str) -> None:
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        f"bad = [m for m in {FORBIDDEN!r} if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} imports {out.stdout.strip()}"
