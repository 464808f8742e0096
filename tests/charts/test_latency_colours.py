"""Latency figures: one colour per series, the same for all of a series' traces, never shared."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from netra_diag.charts.latency import ecdf_figure, histogram_figure, percentile_spectrum_figure
from netra_diag.latency.plotdata import MAX_SERIES


def _series(k: int, n: int = 30) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    return {f"phase{i:02d}": rng.lognormal(i / 3, 0.4, n) for i in range(k)}


def _colour(fig: go.Figure, trace: go.Scatter) -> str:
    if trace.line.color:
        return str(trace.line.color)
    # Left to plotly, a trace takes the colorway's next colour in trace order.
    way = list(fig.layout.colorway or pio.templates["plotly_white"].layout.colorway)
    return str(way[list(fig.data).index(trace) % len(way)])


def test_spectrum_tail_has_its_series_colour() -> None:
    # 30 samples: beyond p97 fewer than ten lie above, so each series has a dotted tail trace.
    fig = percentile_spectrum_figure(_series(3))
    by_group: dict[str, set[str]] = {}
    for trace in fig.data:
        by_group.setdefault(str(trace.legendgroup), set()).add(_colour(fig, trace))
    assert len(by_group) == 3
    assert all(len(colours) == 1 for colours in by_group.values()), by_group
    assert len({next(iter(c)) for c in by_group.values()}) == 3


def test_twelve_series_twelve_colours() -> None:
    for draw in (histogram_figure, ecdf_figure, percentile_spectrum_figure):
        fig = draw(_series(MAX_SERIES))
        solid = [t for t in fig.data if t.showlegend is not False]
        colours = {_colour(fig, t) for t in solid}
        assert len(solid) == MAX_SERIES and len(colours) == MAX_SERIES, draw.__name__
