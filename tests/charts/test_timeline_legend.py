"""A timeline of one run with findings was 320 px high, shorter than its own legend, so the
legend scrolled and hid its last entries, the findings' markers ("finding: error"). The figure
is now at least as high as its legend; checked in a real browser, where plotly lays it out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_diag.charts.timeline import timeline_figure
from netra_diag.events.contracts import ContractContext, check_run
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.timeline import Mark, build_timeline

CHROMIUM = "/usr/bin/chromium"
IDS = {"thread_id": "t1", "run_id": "r1", "user_id": "u1", "timestamp": 1757867400.0}
# A run that stalls 8 s in a tool call, is still thinking and never completes.
RUN = [
    (0.0, {"type": "agent_started", "agent_name": "triage"}),
    (0.3, {"type": "agent_thinking", "reasoning": "looking at costs"}),
    (0.6, {"type": "tool_executing", "tool_name": "q", "parameters": {}}),
    (8.9, {"type": "tool_completed", "tool_name": "q", "results": {}, "duration": 8.3}),
    (9.2, {"type": "agent_thinking", "reasoning": "and now?"}),
]
MARKS = [Mark("message_sent", -0.2, {"type": "user_message"})] + [
    Mark("ping_rtt", 0.5 * i, {"rtt_ms": 3.0}) for i in range(1, 20)
]


def test_the_legend_fits_beside_the_plot(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    from playwright.sync_api import sync_playwright

    events = [
        TimedEvent(parse_frame(json.dumps({**IDS, **f})), t, None, i)
        for i, (t, f) in enumerate(RUN)
    ]
    report = check_run(events, context=ContractContext(marks=MARKS, session_end=12.0))
    assert report.errors
    fig = timeline_figure(build_timeline(events, MARKS, end=12.0), reports=report)
    assert any(trace.name == "finding: error" for trace in fig.data)
    page_file = tmp_path / "timeline.html"
    fig.write_html(page_file, include_plotlyjs=True, full_html=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_file.as_uri())
            page.wait_for_selector(".legend .traces")
            needed, available = page.evaluate(
                "() => { const l = document.querySelector('.js-plotly-plot')._fullLayout.legend;"
                " return [l._height, l._effHeight]; }"
            )
        finally:
            browser.close()
    assert needed <= available, (needed, available)
