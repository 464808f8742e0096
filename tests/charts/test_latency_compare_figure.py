"""Baseline vs current figure: a panel per phase with its own sample sizes, a log axis when
the two differ a hundred-fold, and one x axis title."""

from __future__ import annotations

import numpy as np

from netra_diag.charts.latency import comparison_figure


def test_panels_say_their_own_sizes_and_scale() -> None:
    rng = np.random.default_rng(4)
    base = {"connect": rng.lognormal(2, 0.2, 30), "run_total": rng.lognormal(3, 0.2, 150)}
    cur = {"connect": rng.lognormal(2, 0.2, 40), "run_total": rng.lognormal(7.6, 0.2, 150)}
    fig = comparison_figure(base, cur)
    titles = [a.text for a in fig.layout.annotations]
    assert "connect (n = 30 baseline, 40 current)" in titles
    assert "run_total (n = 150 baseline, 150 current)" in titles
    # The legend is shared: no panel's n in it.
    assert sorted(t.name for t in fig.data if t.showlegend is not False) == ["baseline", "current"]
    assert fig.layout.yaxis.type == "linear" and fig.layout.yaxis2.type == "log"
    assert fig.layout.xaxis.title.text is None and fig.layout.xaxis2.title.text
