"""Token lab and suite triage in a real JupyterLab at a 1280-px window, driven by headless Debian
Chromium: what only the front end decides.

- A token typed into the token field reaches the kernel when the field is left, which clicking a
  button does, before the click: Verify checks it, the field is empty after, and no whole token
  is anywhere in the page (the kernel takes it out of the widget as soon as it arrives).
- No widget of either panel ends past the notebook's output area (triage's lists were fixed at
  300 px and cut their labels; at 100% width their margin pushed them 2 px past the edge).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from browser_lab import chromium, overflowing, run_notebook, running_lab
from timeouts import TIMEOUT_FACTOR

from netra_diag.redaction import JWT_PATTERN
from netra_diag.tokens import mint_token

pytestmark = pytest.mark.browser

SECRET = "browser-test-signing-secret-0123456789abcdef"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"


def test_token_and_triage_panels_in_jupyterlab(tmp_path: Path) -> None:
    notebooks: dict[str, dict[str, str]] = {"token_lab": {}, "suite_triage": {}}
    env = {"JWT_SECRET_KEY": SECRET}
    with chromium() as browser, running_lab(tmp_path, notebooks, env=env) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(90_000 * TIMEOUT_FACTOR)

        run_notebook(page, url.format(name="token_lab"))
        panel = page.locator(".netra-token-lab")
        panel.wait_for(state="visible")
        pasted = mint_token("pasted-in-browser", key=SECRET, now=time.time())
        field = panel.locator("input[type=password]")
        field.fill(pasted)  # typed, not yet sent: Verify's click moves the focus first
        panel.get_by_role("button", name="Verify").click()
        page.wait_for_function(
            "() => document.querySelector('.netra-token-lab').innerText.includes("
            "'pasted-in-browser')"
        )
        text = panel.inner_text()
        assert "verdict:\nvalid" in text or "verdict: valid" in text, text[:600]
        assert field.input_value() == ""
        assert not JWT_PATTERN.search(page.content())
        assert overflowing(page, ".netra-token-lab") == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(ARTIFACTS / "jupyterlab-token-lab.png"))

        run_notebook(page, url.format(name="suite_triage"))
        triage = page.locator(".netra-suite-triage")
        triage.wait_for(state="visible")
        triage.scroll_into_view_if_needed()
        assert overflowing(page, ".netra-suite-triage") == []
        # The longest cluster label is shown whole: its list is as wide as the panel.
        widths = page.evaluate(
            "() => Array.from(document.querySelectorAll('.netra-suite-triage select'))"
            ".map(s => [s.scrollWidth, s.clientWidth])"
        )
        assert widths and all(scroll <= client for scroll, client in widths), widths
        triage.screenshot(path=str(ARTIFACTS / "jupyterlab-suite-triage.png"))


def test_latency_panel_empty_selection_in_jupyterlab(tmp_path: Path) -> None:
    # Before: with every phase deselected the panel said "no phase selected" under the figure
    # of the last selection, still drawn (its output was cleared only when new output came).
    notebooks = {
        "latency_sla": {"users = 10": "users = 2", "runs = 2": "runs = 1", "0.25": "0.05"},
    }
    with chromium() as browser, running_lab(tmp_path, notebooks) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.set_default_timeout(90_000 * TIMEOUT_FACTOR)
        run_notebook(page, url.format(name="latency_sla"))
        panel = page.locator(".netra-latency")
        panel.wait_for(state="visible")
        figures = ".netra-latency .js-plotly-plot"
        page.wait_for_function(f"() => document.querySelectorAll({figures!r}).length === 1")
        assert overflowing(page, ".netra-latency") == []
        panel.locator("select").nth(1).select_option([])  # deselect every phase
        page.wait_for_function(
            "() => document.querySelector('.netra-latency').innerText.includes('no phase selected')"
        )
        page.wait_for_function(f"() => document.querySelectorAll({figures!r}).length === 0")
        panel.locator("select").nth(1).select_option(["run_total"])
        page.wait_for_function(f"() => document.querySelectorAll({figures!r}).length === 1")
        # (the figure and the message are two outputs the kernel updates one after the other:
        # the message must go, not merely have gone by the time the figure came)
        page.wait_for_function(
            "() => !document.querySelector('.netra-latency').innerText"
            ".includes('no phase selected')"
        )
        assert "no phase selected" not in panel.inner_text()
