"""The exported report page, laid out by a real browser: a panel's static table keeps short
words whole (headers and cells were cut into letters: 'te/st/s', 'com/ple/tion'), and so does
preformatted output ('still valid fo' / 'r 7195.9 s')."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from netra_diag.report.html import export_html

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
WHY = (
    "alone: same AssertionError with message “expected at least <n> agent_completed event, "
    "received <n>” and more words so that this column wants the whole width of the page "
) * 2
TEST_ID = (
    "case_websocket_agent_events_suite.TestWebSocketAgentEvents::"
    "test_agent_completed_event_delivered"
)
STATIC = f"""<div class="netra-static"><p><b>Suite triage</b></p><table>
<thead><tr><th>tests</th><th>category</th><th>phase</th><th>why</th>
<th>representative</th></tr></thead>
<tbody><tr><td>1</td><td>event contract (§5)</td><td id="phase">completion</td>
<td>{WHY}</td><td id="test">{TEST_ID}</td></tr></tbody></table></div>"""


@pytest.fixture
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1000, "height": 800})
        finally:
            browser.close()


def lines_of(page: Any, selector: str) -> int:
    """How many lines the text of the first element matching ``selector`` takes."""
    return int(
        page.evaluate(
            """(sel) => {
                const el = document.querySelector(sel);
                const range = document.createRange();
                range.selectNodeContents(el);
                const rects = Array.from(range.getClientRects());
                return new Set(rects.map(r => Math.round(r.top))).size;
            }""",
            selector,
        )
    )


def test_static_tables_keep_short_words_whole(page: Any, tmp_path: Path) -> None:
    nb = new_notebook()
    cell = new_code_cell("panel")
    cell.outputs = [new_output("display_data", data={"text/html": STATIC})]
    nb.cells.append(cell)
    path = tmp_path / "page.html"
    path.write_text(export_html(nbformat.from_dict(nb)).html, encoding="utf-8")
    page.goto(path.as_uri())
    assert lines_of(page, ".netra-static th") == 1  # "tests"
    # Sentences read from the left (JupyterLab's output tables align right).
    align = page.evaluate("getComputedStyle(document.querySelector('#phase')).textAlign")
    assert align == "left"
    assert lines_of(page, "#phase") == 1  # "completion"
    # The long test id still wraps rather than widening the page.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1000 and lines_of(page, "#test") > 1


SENTENCE = (
    "Closed 1000 by the client: normal closure. This service uses it for: normal cleanup: the "
    "client or the server ended the session on purpose. The token was still valid for 7195.9 s. "
)


def test_preformatted_output_breaks_lines_between_words(page: Any, tmp_path: Path) -> None:
    words = (SENTENCE * 6).split()
    spans = " ".join(f'<span class="w">{w}</span>' for w in words)
    nb = new_notebook()
    cell = new_code_cell("panel")
    html = f'<div class="netra-static"><pre style="white-space:pre-wrap;margin:0">{spans}</pre>'
    long_id = "x" * 400
    html += f'<pre id="long">{long_id}</pre></div>'
    cell.outputs = [new_output("display_data", data={"text/html": html})]
    nb.cells.append(cell)
    path = tmp_path / "page.html"
    path.write_text(export_html(nbformat.from_dict(nb)).html, encoding="utf-8")
    page.goto(path.as_uri())
    cut = page.evaluate(
        """() => Array.from(document.querySelectorAll("span.w"))
            .filter(s => s.getClientRects().length > 1).map(s => s.textContent)"""
    )
    assert cut == []
    # A word longer than the line still wraps rather than widening the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1000
    assert lines_of(page, "#long") > 1


def test_report_tables_text_reads_from_the_left_numbers_line_up_right(
    page: Any, tmp_path: Path
) -> None:
    # JupyterLab right-aligns every table cell: a column of messages was ragged on the left
    from netra_diag.report import format_table

    table = format_table(
        [
            {"status": "pass", "n": 422, "p95_ms": 0.147, "note": ""},
            {"status": "no data", "n": 0, "p95_ms": None, "note": "no reconnect measurements"},
        ]
    )
    assert table.numeric == (2, 3)
    html = table._repr_html_()
    assert "<td>pass</td><td>422</td>" in html  # the cells' markup is as it was
    nb = new_notebook()
    cell = new_code_cell("table")
    cell.outputs = [new_output("execute_result", data={"text/html": html}, execution_count=1)]
    nb.cells.append(cell)
    path = tmp_path / "page.html"
    path.write_text(export_html(nbformat.from_dict(nb)).html, encoding="utf-8")
    page.goto(path.as_uri())
    aligned = page.evaluate(
        """() => Array.from(document.querySelectorAll("table.netra-table tr:last-child td"))
            .map(td => getComputedStyle(td).textAlign)"""
    )
    assert aligned == ["left", "right", "right", "left"]
