"""Summaries of phase_metrics rows count the attempts that failed or never finished, instead of
showing the runs that finished as if they were all of them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.latency import load_sla, summarize_latency
from netra_diag.widgets import LatencyPanel


def _rows() -> pd.DataFrame:
    values = [20.0, 25.0, 30.0, np.nan, 10.0, 12.0]
    return pd.DataFrame(
        {
            "phase": ["run_total"] * 4 + ["connect"] * 2,
            "source": "client",
            "value_ms": values,
            "ok": [True, True, True, False, True, True],
            "cassette": "a.jsonl",
        }
    )


def test_failed_attempts_are_counted() -> None:
    summary = summarize_latency(_rows())
    run_total = summary.group("run_total", "client")
    assert run_total.count == 3 and run_total.failed == 1
    assert summary.group("connect", "client").failed == 0
    frame = summary.to_frame()
    assert list(frame.columns[:4]) == ["phase", "source", "count", "failed"]
    assert any(
        "run_total/client: 1 of 4 attempts failed or never finished" in w for w in summary.warnings
    )
    header = summary.text().splitlines()[0].split()
    assert header[:4] == ["phase", "source", "n", "failed"]


def test_arrays_do_not_count_nan_as_failures() -> None:
    assert summarize_latency(np.array([1.0, np.nan, 3.0])).groups[0].failed == 0


def test_panel_summary_shows_the_failed_run() -> None:
    panel = LatencyPanel(_rows(), sla=load_sla("service"), phases=["run_total"])
    html = panel.summary_html.value
    assert "failed" in html and ">1<" in html.replace(" ", "")
    assert ">95% CI<" in panel.sla_html.value
