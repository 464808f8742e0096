"""Latency figure layout: the legend never grows into the title, and a log axis carries whole
tick values rather than plotly's leading digits ("2 3 4 5 … 100")."""

from __future__ import annotations

import numpy as np

from netra_diag.charts.latency import ecdf_figure, histogram_figure, percentile_spectrum_figure
from netra_diag.charts.latency_style import log_ticks


def _series(k: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(2)
    return {f"tool_duration (client) {i}": rng.lognormal(3, 0.3, 50) for i in range(k)}


def test_many_series_get_a_column_beside_the_plot() -> None:
    for draw in (histogram_figure, ecdf_figure, percentile_spectrum_figure):
        legend = draw(_series(11)).layout.legend
        # A row above the plot wrapped into several and covered the title.
        assert legend.orientation == "v" and legend.x >= 1.0, draw.__name__


def test_few_series_keep_one_row_above_the_plot() -> None:
    legend = ecdf_figure(_series(3)).layout.legend
    assert legend.orientation == "h" and legend.yanchor == "bottom"


def test_log_axis_ticks_carry_their_value() -> None:
    values = np.linspace(12.0, 190.0, 40)
    fig = ecdf_figure({"run_total": values})
    axis = fig.layout.xaxis
    assert axis.type == "log"
    assert list(axis.tickvals) == [10.0, 20.0, 50.0, 100.0, 200.0]
    assert list(axis.ticktext) == ["10", "20", "50", "100", "200"]


def test_log_ticks_thin_to_decades_over_a_wide_range() -> None:
    assert log_ticks(0.001, 200.0) == [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]
    assert log_ticks(0.0, 10.0) == [] and log_ticks(5.0, 1.0) == []
