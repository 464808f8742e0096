"""Zeros on a log latency axis (40 % of a fanout's event gaps: events read in one batch) are
said in the legend, not left to read as values of 0.001 ms."""

from __future__ import annotations

import numpy as np

from netra_diag.charts.latency import ecdf_figure, histogram_figure


def test_zeros_are_named() -> None:
    gaps = np.r_[np.zeros(40), np.linspace(20.0, 60.0, 60)]
    for draw in (histogram_figure, ecdf_figure):
        name = draw({"event_gap": gaps}).data[0].name
        assert name == "event_gap (n=100; 40 at 0 ms, drawn at the left edge)", draw.__name__
    assert histogram_figure({"x": gaps}, log_x=False).data[0].name == "x (n=100)"
