"""A histogram with a huge outlier shows it as a bar one can see, not a 0.2 % sliver."""

from __future__ import annotations

import math

import numpy as np

from netra_diag.charts.latency import histogram_figure


def test_one_huge_outlier_gets_a_visible_bar() -> None:
    fig = histogram_figure(np.r_[np.full(99, 10.0), 50_000.0])
    x = np.asarray(fig.data[0].x, dtype=float)
    y = np.asarray(fig.data[0].y, dtype=float)
    span = math.log10(x.max() / x.min())
    # hv outline: each bar is (left, height) ... (right, 0); find the outlier's bar.
    left = next(i for i in range(len(x)) if y[i] == 1.0)
    width = math.log10(x[left + 1] / x[left])
    assert x[left] <= 50_000.0 <= x[left + 1]
    assert width / span > 0.05  # it was 0.07 % of the axis: invisible
