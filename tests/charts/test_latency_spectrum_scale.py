"""The percentile spectrum goes log when its series lie orders of magnitude apart, and says
which series a log axis cannot show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.charts.latency import box_figure, percentile_spectrum_figure


def test_far_apart_series_get_a_log_axis() -> None:
    rng = np.random.default_rng(5)
    data = {
        "event_latency": rng.lognormal(-3, 0.3, 300),  # ~0.05 ms
        "run_total": rng.lognormal(5.2, 0.1, 300),  # ~180 ms
        "auth": np.zeros(300),
    }
    fig = percentile_spectrum_figure(data)
    assert fig.layout.yaxis.type == "log"
    names = [t.name for t in fig.data if t.showlegend is not False]
    assert "auth (n=300), all 0 ms: not on the log axis" in names


def test_close_series_stay_linear_and_the_choice_can_be_forced() -> None:
    data = {"a": np.linspace(10, 20, 50), "b": np.linspace(30, 60, 50)}
    assert percentile_spectrum_figure(data).layout.yaxis.type == "linear"
    assert percentile_spectrum_figure(data, log_y=True).layout.yaxis.type == "log"


def test_box_goes_log_when_medians_lie_far_apart() -> None:
    rows = pd.DataFrame(
        {
            "tool": ["fast"] * 20 + ["slow"] * 20,
            "value_ms": np.r_[np.linspace(1.0, 2.0, 20), np.linspace(500.0, 900.0, 20)],
            "ok": True,
        }
    )
    assert box_figure(rows, by="tool").layout.yaxis.type == "log"
    assert box_figure(rows, by="tool", log_y=False).layout.yaxis.type == "linear"
