"""Latency figures: what they draw (fig.data / fig.layout) and how big their JSON gets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from netra_diag.charts.latency import (
    auto_bins,
    box_figure,
    comparison_figure,
    ecdf_figure,
    histogram_figure,
    omission_figure,
    percentile_spectrum_figure,
)
from netra_diag.latency import LatencyHistogram, compare_latency, correct_coordinated_omission

MAX_BYTES = 200_000


@pytest.fixture(scope="module")
def metrics() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 1500
    return pd.DataFrame(
        {
            "phase": np.repeat(["connect", "first_event", "tool_duration"], n),
            "source": ["client"] * (2 * n) + ["client", "server"] * (n // 2),
            "value_ms": np.r_[
                rng.lognormal(2, 0.4, n), rng.lognormal(5, 0.8, n), rng.gamma(2, 200, n)
            ],
            "ok": True,
            "user": rng.choice([f"user-{i}" for i in range(60)], 3 * n),
        }
    )


def size(fig: object) -> int:
    return len(fig.to_json())  # type: ignore[attr-defined]


def test_histogram_per_phase(metrics: pd.DataFrame) -> None:
    fig = histogram_figure(metrics, limits=[(None, 100.0, "SLA 100 ms")])
    names = [t.name for t in fig.data]
    assert names == [
        "connect (n=1500)",
        "first_event (n=1500)",
        "tool_duration (client) (n=750)",
        "tool_duration (server) (n=750)",
    ]
    assert all(t.line.shape == "hv" for t in fig.data)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.title.text == "fraction of samples"
    assert fig.layout.shapes[0].x0 == 100.0
    one = histogram_figure(metrics, phase="connect")
    assert len(one.data) == 1 and one.layout.yaxis.title.text == "samples"
    assert size(fig) <= MAX_BYTES


def test_small_samples_are_binned_to_show_their_shape() -> None:
    # 60 samples over two decades: plotted on the histogram's own 0.1 %-wide buckets, each
    # sample was a spike of 1/60; Rice's rule gives 8 bins, most of them holding several.
    values = np.random.default_rng(2).lognormal(3, 0.9, 60)
    fig = histogram_figure(values)
    heights = [y for y in fig.data[0].y if y > 0]
    assert len(set(heights)) <= 8 and max(heights) >= 10
    assert [auto_bins(n) for n in (1, 60, 10_000, 10**9)] == [5, 8, 44, 80]
    fine = histogram_figure(values, max_bins=200)  # asked for: the buckets as they are
    assert max(y for y in fine.data[0].y) <= 2


def test_ecdf_is_exact_for_small_samples(metrics: pd.DataFrame) -> None:
    fig = ecdf_figure(metrics, phase=["connect", "first_event"])
    # every sample, after the curve's start at 0
    assert [len(t.x) for t in fig.data] == [1501, 1501]
    assert fig.data[0].y[0] == 0.0 and fig.data[0].y[-1] == 1.0
    big = ecdf_figure(np.random.default_rng(1).exponential(5, 100_000))
    assert len(big.data[0].x) <= 601 and big.data[0].y[-1] == pytest.approx(1.0)
    assert big.data[0].y[0] == 0.0


def test_percentile_spectrum_has_a_log_tail_axis(metrics: pd.DataFrame) -> None:
    fig = percentile_spectrum_figure(
        metrics, phase="connect", limits=[(0.95, 100.0, "p95 < 100 ms"), (None, 200.0, "max")]
    )
    axis = fig.layout.xaxis
    assert axis.type == "log"
    assert list(axis.tickvals) == [1, 2, 10, 100, 1000]
    assert list(axis.ticktext) == ["min", "p50", "p90", "p99", "p99.9"]
    solid, dotted, marker = fig.data
    # 1500 samples: fewer than ten lie beyond p99.33, so the curve is dotted from x = 150 on.
    assert max(solid.x) <= 150 < max(dotted.x) and dotted.line.dash == "dot"
    assert max(dotted.x) == pytest.approx(1500)
    assert marker.x[0] == pytest.approx(20.0) and marker.y[0] == 100.0
    assert fig.layout.shapes[0].y0 == 200.0


def test_box_uses_precomputed_statistics(metrics: pd.DataFrame) -> None:
    fig = box_figure(metrics, by="user", phase="connect", max_groups=25)
    (box,) = fig.data
    assert box.type == "box" and box.y is None and len(box.q1) == 25
    assert all(
        lo <= q1 <= med <= q3 <= hi
        for lo, q1, med, q3, hi in zip(
            box.lowerfence, box.q1, box.median, box.q3, box.upperfence, strict=True
        )
    )
    assert "25 largest of 60 groups" in fig.layout.title.text
    with pytest.raises(Exception, match="no column"):
        box_figure(metrics, by="nope")


def test_comparison_panels_carry_the_verdict(metrics: pd.DataFrame) -> None:
    slower = metrics.assign(value_ms=metrics["value_ms"] * 1.5)
    report = compare_latency(metrics, slower, n_boot=200)
    fig = comparison_figure(metrics, slower, phase=["connect", "first_event"], report=report)
    titles = [a.text for a in fig.layout.annotations]
    assert titles == [
        "connect: regression (n = 1500 baseline, 1500 current)",
        "first_event: regression (n = 1500 baseline, 1500 current)",
    ]
    colours = {t.line.color for t in fig.data}
    assert colours == {"#7f7f7f", "#d62728"}
    assert sum(t.showlegend is not False for t in fig.data) == 2  # one legend entry each
    assert size(fig) <= MAX_BYTES


def test_omission_figure() -> None:
    intended = np.arange(5000) * 0.01
    actual = intended + np.where((intended > 10) & (intended < 15), 0.3, 0.0)
    report = correct_coordinated_omission(intended, actual, np.full(5000, 20.0))
    fig = omission_figure(report, max_points=500)
    delays, measured, corrected = fig.data
    assert len(delays.x) <= 500 and max(delays.y) == pytest.approx(300.0)
    assert measured.name.startswith("measured") and corrected.name.startswith("corrected")
    assert max(corrected.y) == pytest.approx(320.0)
    assert fig.layout.title.text == "Coordinated omission: 499 of 5000 sessions started late"


def test_empty_inputs_give_an_annotated_figure() -> None:
    for fig in (
        histogram_figure([]),
        ecdf_figure(pd.DataFrame({"value_ms": [], "phase": []})),
        percentile_spectrum_figure(LatencyHistogram()),
    ):
        assert fig.layout.annotations[0].text == "no samples"


def test_payload_stays_small_for_any_n() -> None:
    rng = np.random.default_rng(3)
    for n in (30, 5_000, 2_000_000):
        x = rng.lognormal(3, 1, n)
        frame = pd.DataFrame({"phase": "p", "value_ms": x, "user": "u", "ok": True})
        for fig in (
            histogram_figure(x),
            ecdf_figure(x),
            percentile_spectrum_figure(x),
            box_figure(frame, by="user"),
            comparison_figure(x, x * 1.1),
        ):
            assert size(fig) <= MAX_BYTES, (n, fig.layout.title.text, size(fig))


def test_empty_arrays_compare_as_no_samples() -> None:
    for fig in (comparison_figure([], []), comparison_figure(np.array([]), [])):
        assert [a.text for a in fig.layout.annotations] == ["no samples"]
        assert not fig.data
    fig = comparison_figure({"connect": [1.0, 2.0], "auth": []}, {"connect": [2.0], "auth": []})
    assert [a.text for a in fig.layout.annotations] == ["connect (n = 2 baseline, 1 current)"]


@pytest.mark.parametrize("figure", [histogram_figure, ecdf_figure])
def test_all_zero_samples_say_so_on_a_linear_axis(figure: Callable[..., go.Figure]) -> None:
    # auth is 0 ms when connection_established is the first frame (netra_diag.latency.phases).
    frame = pd.DataFrame({"phase": "auth", "value_ms": [0.0] * 5, "ok": True})
    fig = figure(frame)
    assert fig.layout.xaxis.type == "linear"
    assert [a.text for a in fig.layout.annotations] == ["all values 0 ms"]
    assert [t.name for t in fig.data] == ["auth (n=5)"]


@pytest.mark.parametrize("figure", [histogram_figure, ecdf_figure])
def test_an_all_zero_series_next_to_others_is_named_as_off_the_log_axis(
    figure: Callable[..., go.Figure],
) -> None:
    fig = figure({"auth": np.zeros(4), "connect": np.array([1.0, 2.0, 3.0])})
    assert fig.layout.xaxis.type == "log"
    names = [t.name for t in fig.data]
    assert names == ["auth (n=4, all 0 ms: not on the log axis)", "connect (n=3)"]
