"""SLA limits on latency figures: a dashed line whose label is on the figure (plotly places an
annotation on a log axis by the exponent), and the latency panel draws its SLA's limits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from netra_diag.charts.latency import ecdf_figure, histogram_figure, percentile_spectrum_figure
from netra_diag.latency import load_sla
from netra_diag.widgets import LatencyPanel


def test_limit_label_sits_on_its_line_on_a_log_axis() -> None:
    values = np.linspace(1500.0, 4300.0, 30)
    for draw in (histogram_figure, ecdf_figure):
        fig = draw({"run_total": values}, limits=[(None, 60_000.0, "run_total max <= 60 s")])
        (note,) = [a for a in fig.layout.annotations if a.text == "run_total max <= 60 s"]
        shape = fig.layout.shapes[0]
        assert shape.x0 == 60_000.0
        assert note.x == math.log10(60_000.0), draw.__name__  # was 60000: off the figure
        assert max(fig.layout.xaxis.tickvals) * 1.5 >= 60_000.0  # the ticks reach the line


def test_linear_axis_labels_by_value() -> None:
    fig = histogram_figure({"x": np.array([1.0, 2.0])}, log_x=False, limits=[(None, 3.0, "3 ms")])
    assert fig.layout.annotations[-1].x == 3.0


def test_panel_draws_its_sla_limits() -> None:
    rows = pd.DataFrame(
        {
            "phase": "connect",
            "source": "client",
            "value_ms": np.linspace(10.0, 14.0, 30),
            "ok": True,
            "cassette": "a.jsonl",
        }
    )
    panel = LatencyPanel(rows, sla=load_sla("service"), phases=["connect"], kind="ecdf")
    texts = [a.text for a in panel.figure.layout.annotations]
    assert "connect max < 5 s" in texts


def test_spectrum_limit_label_on_a_log_y_axis() -> None:
    fig = percentile_spectrum_figure(
        {"x": np.linspace(1.0, 50.0, 300)}, log_y=True, limits=[(None, 100.0, "max < 100 ms")]
    )
    (note,) = [a for a in fig.layout.annotations if a.text == "max < 100 ms"]
    assert note.y == 2.0  # log10(100): at 100 it was placed at 10^100 ms
