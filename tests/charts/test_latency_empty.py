"""What a latency figure with nothing to draw says: which phase has no rows, or that every
attempt of it failed; and no empty axes that look like a plot of nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.charts.latency import ecdf_figure, histogram_figure, percentile_spectrum_figure


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phase": ["connect"] * 5 + ["run_total"] * 3,
            "value_ms": [np.nan] * 5 + [20.0, 25.0, 30.0],
            "ok": [False] * 5 + [True] * 3,
        }
    )


def test_a_phase_with_no_rows_is_named() -> None:
    fig = histogram_figure(_rows(), phase="reconnect")
    assert fig.layout.annotations[0].text == "no reconnect measurements in the data"
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False


def test_every_attempt_failed_is_not_no_data() -> None:
    for draw in (histogram_figure, ecdf_figure, percentile_spectrum_figure):
        fig = draw(_rows(), phase="connect")
        text = fig.layout.annotations[0].text
        assert text == "connect: 5 attempts, none succeeded (no value to plot)", draw.__name__
