"""The live-session notebook in a real JupyterLab, driven by headless Debian Chromium.

``netra-diag lab`` starts JupyterLab on a free loopback port with the reference service running;
Playwright (its Python package, with ``executable_path`` pointing at Debian's chromium: no browser
download) opens a copy of ``notebooks/live_session.ipynb``, runs every cell, and watches the
panel: it must render, and its event table and timeline must fill with the service's events
while the run is in flight. The screenshot is kept under ``artifacts/browser/``.

A second test opens a report's HTML file and checks that its plotly figures were drawn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_lab import ROOT, chromium, running_lab
from timeouts import TIMEOUT_FACTOR

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "artifacts" / "browser"

PANEL = ".netra-live-session"
ROWS = f"{PANEL} table.netra-event-table tbody tr"
# Frame markers (scatter points) and span bars of the timeline figure.
MARKS = f"{PANEL} .js-plotly-plot .scatterlayer path.point, {PANEL} .js-plotly-plot .barlayer path"


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab (via ``netra-diag lab``) on a copy of the live-session notebook, with the
    service slowed down as papermill's -p time_scale would: the run lasts long enough to watch
    the panel fill up."""
    slower = {"live_session": {"time_scale = 1.0": "time_scale = 3.0"}}
    with running_lab(tmp_path, slower) as url:
        yield url.format(name="live_session"), tmp_path / "lab.log"


def _count(page: Any, selector: str) -> int:
    value: int = page.evaluate(f"document.querySelectorAll({selector!r}).length")
    return value


def test_live_session_notebook_runs_in_jupyterlab(browser: Any, lab: tuple[str, Path]) -> None:
    url, log = lab
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.set_default_timeout(90_000 * TIMEOUT_FACTOR)
    page.goto(url)
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel;"
        " return k && k.status === 'idle'; }"
    )
    # The table's rows and the timeline's marks as the page itself sees them, at each change of
    # the page: polled from here, a loaded machine (the suite runs on two workers) first looked
    # when the run was over.
    page.evaluate(
        "([rows, marks]) => { const seen = window.netraCounts = {rows: [], marks: []};"
        " const note = (list, n) => { if (n && list[list.length - 1] !== n) list.push(n); };"
        " new MutationObserver(() => {"
        " note(seen.rows, document.querySelectorAll(rows).length);"
        " note(seen.marks, document.querySelectorAll(marks).length); })"
        ".observe(document.body, {childList: true, subtree: true}); }",
        [ROWS, MARKS],
    )
    # Not awaited: the command's promise resolves only once every cell has run.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    page.wait_for_selector(PANEL, state="visible")
    rows: list[int] = []
    marks: list[int] = []
    deadline = time.monotonic() + 90 * TIMEOUT_FACTOR
    while time.monotonic() < deadline:
        rows.append(_count(page, ROWS))
        marks.append(_count(page, MARKS))
        text = page.inner_text(PANEL)
        if "completed:" in text and "closed" in text:
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail(f"the run did not complete in the browser; lab log:\n{log.read_text()}")
    rows.append(_count(page, ROWS))
    marks.append(_count(page, MARKS))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "jupyterlab-live-session.png"
    page.locator(PANEL).screenshot(path=str(shot))
    page.screenshot(path=str(ARTIFACTS / "jupyterlab-notebook.png"))
    print(f"\nscreenshot: {shot}")

    text = page.inner_text(PANEL)
    assert "validated" in text  # the auth verdict, from the real handshake
    assert "agent_started" in text and "agent_completed" in text
    seen: dict[str, list[int]] = page.evaluate("() => window.netraCounts")
    print(f"counts as the page saw them: {seen}; polled: rows {rows}, marks {marks}")
    grown = seen["rows"]
    assert grown and grown == sorted(grown), (grown, rows)
    assert grown[-1] == rows[-1], (grown, rows)
    assert len(grown) >= 2, f"the event table did not grow while the run was in flight: {grown}"
    assert rows[-1] >= 8
    assert marks[-1] >= 8, f"the timeline stayed empty: {marks}"
    assert len(set(seen["marks"])) >= 2, f"the timeline did not grow in flight: {seen['marks']}"


def test_report_html_draws_its_figures(browser: Any, tmp_path: Path) -> None:
    from netra_diag.report import run_report

    result = run_report(
        "latency_sla", {"users": "2", "runs": "1", "time_scale": "0.1"}, out_dir=tmp_path
    )
    assert result.html_path is not None
    page = browser.new_page(viewport={"width": 1300, "height": 2400})
    page.goto(result.html_path.as_uri())
    page.wait_for_function(
        "document.body.getAttribute('data-netra-figures') !== null", timeout=60_000 * TIMEOUT_FACTOR
    )
    assert page.evaluate("document.body.getAttribute('data-netra-figures')") == "done"
    drawn = _count(page, "div.netra-figure[data-rendered='true'] .main-svg")
    assert drawn >= 3
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report-latency-sla.png"
    page.screenshot(path=str(shot), full_page=False)
    print(f"\nscreenshot: {shot}")
