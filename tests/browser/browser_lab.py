# mypy: disallow-untyped-calls=False
# (nbformat has no type annotations)
"""Helpers for the browser tests: Debian's chromium through Playwright, and ``netra-diag lab`` on
a free loopback port serving copies of the notebooks (JupyterLab saves what it runs). A plain
module, not a conftest (``tests/conftest.py`` already goes by that module name)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from timeouts import TIMEOUT_FACTOR

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Debian chromium (skips the test where it is not installed)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_lab(
    tmp_path: Path, notebooks: Mapping[str, Mapping[str, str]], env: Mapping[str, str] = {}
) -> Iterator[str]:
    """``netra-diag lab`` on copies of ``notebooks`` (name -> parameter replacements); yields
    the base URL with its access token as ``{base}/lab/tree/{{name}}.ipynb?token=...``."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name, replacements in notebooks.items():
        nb = nbformat.read(str(ROOT / "notebooks" / f"{name}.ipynb"), as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        for old, new in replacements.items():
            assert old in params.source, (name, old)
            params.source = params.source.replace(old, new)
        nbformat.write(nb, str(folder / f"{name}.ipynb"))
    port, token = _free_port(), secrets.token_hex(16)
    environ = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        **env,
    )
    log_path = tmp_path / "lab.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "netra_diag", "lab", "--port", str(port)),
                *("--no-browser", "--notebooks", str(folder), "--"),
                f"--IdentityProvider.token={token}",
                "--LabApp.expose_app_in_browser=True",
            ],
            env=environ,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90 * TIMEOUT_FACTOR
        while True:
            assert process.poll() is None, log_path.read_text()
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not start"
                time.sleep(0.3)
        yield f"{base}/lab/tree/{{name}}.ipynb?reset&token={token}"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # our own process group only
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run_notebook(page: Any, url: str) -> None:
    """Open ``url``, run every cell and wait until the kernel is idle again."""
    idle = (
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel;"
        " return k && k.status === 'idle'; }"
    )
    page.goto(url)
    page.wait_for_function(idle)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
    page.wait_for_timeout(500)
    page.wait_for_function(idle)


def overflowing(page: Any, panel_selector: str) -> list[str]:
    """Widgets of the panel whose right edge lies past its output area's (cut or scrolled)."""
    found: list[str] = page.evaluate(
        """(sel) => {
          const out = [];
          for (const panel of document.querySelectorAll(sel)) {
            const edge = panel.closest('.jp-OutputArea-output').getBoundingClientRect().right;
            for (const w of panel.querySelectorAll('.jupyter-widgets, .js-plotly-plot, table')) {
              const r = w.getBoundingClientRect();
              if (r.width > 0 && r.right > edge + 0.5) {
                out.push(w.className.toString().slice(0, 80) + ' ends at ' + Math.round(r.right)
                         + ' px, past ' + Math.round(edge));
              }
            }
          }
          return out; }""",
        panel_selector,
    )
    return found
