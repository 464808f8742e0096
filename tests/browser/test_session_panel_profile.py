"""The live session panel's token controls in a real JupyterLab at a 1280-px window, driven by
headless Debian Chromium: pick the staging profile, name the variable holding the signing secret,
see it as ``unset`` or as its fingerprint, see a secret too short for staging refused in words,
then run with a good one.

``netra-diag lab`` runs the reference service with ``JWT_SECRET_KEY`` from its environment; the
notebook is saved with its widget state (the widget manager's ``saveState`` setting), and neither
the saved notebook nor the page may hold a secret or a token. The screenshot is kept under
``artifacts/browser/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from browser_lab import ROOT, chromium, overflowing, run_notebook, running_lab
from timeouts import TIMEOUT_FACTOR

from netra_diag.redaction import JWT_PATTERN, fingerprint

pytestmark = pytest.mark.browser

# Not JWT-shaped: a secret long enough for staging (32+), and one too short for it.
SECRET = "browser-panel-staging-secret-0123456789abcdef"
SHORT = "short-secret-16c"
PANEL = ".netra-live-session"
CONTROLS = f"{PANEL} .netra-session-secret"
ARTIFACTS = ROOT / "artifacts" / "browser"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _save_widget_state(settings: Path) -> None:
    """JupyterLab saves widget state with the notebook only when told to (off by default)."""
    folder = settings / "@jupyter-widgets" / "jupyterlab-manager"
    folder.mkdir(parents=True)
    (folder / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))


def _wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => { const e = document.querySelector(sel);"
        " return e !== null && e.innerText.includes(text); }",
        arg=[selector, text],
    )


def _name_variable(page: Any, name: str) -> None:
    field = page.locator(f"{CONTROLS} input[type=text]")
    field.fill(name)
    field.press("Enter")  # the field sends its value on Enter or on leaving it
    _wait_text(page, CONTROLS, f"${name}:")


def test_profile_and_secret_controls_in_jupyterlab(tmp_path: Path) -> None:
    _save_widget_state(tmp_path / "settings")
    env = {"JWT_SECRET_KEY": SECRET, "NETRA_TEST_SHORT_KEY": SHORT}
    with chromium() as browser, running_lab(tmp_path, {"live_session": {}}, env=env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(90_000 * TIMEOUT_FACTOR)
        run_notebook(page, url.format(name="live_session"))
        panel = page.locator(PANEL)
        panel.wait_for(state="visible")
        _wait_text(page, PANEL, "completed:")  # the notebook's own run, local profile
        assert f"$JWT_SECRET_KEY: {fingerprint(SECRET)}" in panel.inner_text()

        profile = page.locator(f"{CONTROLS} select")
        profile.select_option("staging")
        assert f"$JWT_SECRET_KEY: {fingerprint(SECRET)}" in page.locator(CONTROLS).inner_text()

        _name_variable(page, "NETRA_TEST_UNSET_KEY")
        controls = page.locator(CONTROLS).inner_text()
        assert "$NETRA_TEST_UNSET_KEY: unset" in controls, controls
        assert "$NETRA_TEST_UNSET_KEY is not set" in controls, controls
        assert overflowing(page, PANEL) == []  # the longest problem wraps inside the panel
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(CONTROLS).screenshot(path=str(ARTIFACTS / "live-session-secret-unset.png"))

        _name_variable(page, "NETRA_TEST_SHORT_KEY")
        _wait_text(page, CONTROLS, "staging secrets are at least 32 characters")
        assert f"$NETRA_TEST_SHORT_KEY: {fingerprint(SHORT)}" in page.locator(CONTROLS).inner_text()
        panel.get_by_role("button", name="Run").click()
        # Said twice: beside the secret, and as the run's failure.
        page.wait_for_function(
            "(sel) => document.querySelector(sel).innerText.split('at least 32 characters')"
            ".length > 2",
            arg=PANEL,
        )
        assert "failed" in panel.inner_text()

        _name_variable(page, "JWT_SECRET_KEY")
        page.wait_for_function(
            "(sel) => !document.querySelector(sel).innerText.includes('at least 32')",
            arg=CONTROLS,
        )
        panel.get_by_role("button", name="Run").click()
        _wait_text(page, PANEL, "completed:")
        text = panel.inner_text()
        assert "validated" in text, text[:800]
        assert overflowing(page, PANEL) == []

        panel.screenshot(path=str(ARTIFACTS / "jupyterlab-live-session-profile.png"))

        saved = tmp_path / "notebooks" / "live_session.ipynb"
        before = saved.stat().st_mtime_ns
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        deadline = time.monotonic() + 30 * TIMEOUT_FACTOR
        while saved.stat().st_mtime_ns == before or WIDGET_STATE not in saved.read_text():
            assert time.monotonic() < deadline, "the notebook was not saved with widget state"
            time.sleep(0.2)
        notebook = saved.read_text()
        # The saved state holds the controls as chosen: the profile, the name, a fingerprint.
        state = json.dumps(json.loads(notebook)["metadata"]["widgets"], ensure_ascii=False)
        assert '"staging"' in state and "JWT_SECRET_KEY" in state
        assert fingerprint(SECRET) in state
        for where, content in (("saved notebook", notebook), ("page", page.content())):
            assert SECRET not in content and SHORT not in content, where
            assert not JWT_PATTERN.search(content), where
