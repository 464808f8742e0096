"""Summaries: seeded known distributions give their analytic quantiles, the bootstrap intervals
cover the truth at about the stated rate, and small samples are called what they are."""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from netra_diag.errors import LatencyDataError
from netra_diag.latency import LatencyHistogram, summarize_latency
from netra_diag.latency.bootstrap import (
    EXACT_BOOT_LIMIT,
    bootstrap_histogram,
    bootstrap_values,
    percentile_interval,
)
from netra_diag.latency.summary import EXACT_LIMIT, quantile_label, sample_size_note

Z = NormalDist().inv_cdf
QS = (0.5, 0.9, 0.95, 0.99, 0.999)

# (sampler, analytic quantile function, analytic mean)
DISTRIBUTIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[[float], float], float]] = {
    "uniform": (lambda r, n: r.uniform(10, 110, n), lambda q: 10 + 100 * q, 60.0),
    "exponential": (lambda r, n: r.exponential(20, n), lambda q: -20 * math.log(1 - q), 20.0),
    "lognormal": (
        lambda r, n: r.lognormal(3, 0.8, n),
        lambda q: math.exp(3 + 0.8 * Z(q)),
        math.exp(3 + 0.8**2 / 2),
    ),
}


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_known_distributions_give_known_percentiles(name: str) -> None:
    sample, quantile, mean = DISTRIBUTIONS[name]
    x = sample(np.random.default_rng(42), 200_000)
    s = summarize_latency(x, seed=1)
    g = s.groups[0]
    assert g.count == x.size and g.exact and not s.warnings
    assert g.mean.value == pytest.approx(mean, rel=0.01)
    for est, q in zip(g.quantiles, QS, strict=True):
        truth = quantile(q)
        assert est.statistic == quantile_label(q)
        assert est.value == pytest.approx(truth, rel=0.03), est
        assert est.ci_low <= est.value <= est.ci_high
        assert est.reliable


def test_more_than_exact_limit_samples_use_the_histogram() -> None:
    sample, quantile, _ = DISTRIBUTIONS["lognormal"]
    x = sample(np.random.default_rng(5), EXACT_LIMIT + 200_000)
    g = summarize_latency(x, n_boot=200).groups[0]
    assert not g.exact and g.count == x.size
    for est, q in zip(g.quantiles, QS, strict=True):
        assert est.value == pytest.approx(quantile(q), rel=0.02)
        assert est.ci_low <= est.value <= est.ci_high


def coverage(
    trials: int, n: int, n_boot: int, qs: tuple[float, ...], seed0: int, *, binned: bool = False
) -> dict[str, float]:
    sample, quantile, mean = DISTRIBUTIONS["lognormal"]
    hits = dict.fromkeys([*map(quantile_label, qs), "mean"], 0)
    for trial in range(trials):
        x = sample(np.random.default_rng(seed0 + trial), n)
        if binned:
            boot = bootstrap_histogram(
                LatencyHistogram.from_values(x), qs, n_boot=n_boot, seed=trial
            )
        else:
            boot = bootstrap_values(x, qs, n_boot=n_boot, seed=trial)
        low, high = percentile_interval(boot.quantiles, 0.95)
        for j, q in enumerate(qs):
            hits[quantile_label(q)] += bool(low[j] <= quantile(q) <= high[j])
        m_low, m_high = percentile_interval(boot.mean[None, :], 0.95)
        hits["mean"] += bool(m_low[0] <= mean <= m_high[0])
    return {k: v / trials for k, v in hits.items()}


def test_intervals_cover_the_truth_at_about_the_stated_rate() -> None:
    # 200 seeded trials of 200 samples (resampling with replacement): 95 % intervals should
    # cover the truth 95 % of the time; the band allows ~3 standard errors (1.5 % each).
    rates = coverage(200, 200, 500, (0.5, 0.9), seed0=1000)
    for name, rate in rates.items():
        assert 0.88 <= rate <= 0.995, (name, rate)


def test_order_statistic_bootstrap_covers_the_truth() -> None:
    # Above EXACT_BOOT_LIMIT samples replicates come from Beta-distributed order statistics.
    assert EXACT_BOOT_LIMIT < 25_000
    rates = coverage(200, 25_000, 400, (0.5, 0.95, 0.99), seed0=5000)
    for name, rate in rates.items():
        assert 0.88 <= rate <= 0.995, (name, rate)


def test_histogram_bootstrap_covers_the_truth() -> None:
    # From a histogram alone (no samples kept): order statistics mapped to buckets.
    rates = coverage(200, 25_000, 400, (0.5, 0.95, 0.99), seed0=7000, binned=True)
    for name, rate in rates.items():
        assert 0.88 <= rate <= 0.995, (name, rate)


def test_p99_of_30_samples_is_called_the_maximum() -> None:
    x = np.random.default_rng(0).exponential(10, 30)
    s = summarize_latency(x)
    g = s.groups[0]
    p99 = g.estimate("p99")
    assert not p99.reliable
    assert p99.note.startswith("p99 of 30 samples is about the maximum")
    assert g.estimate("p50").reliable and g.mean.reliable
    assert len(s.warnings) == 1
    assert "p99 and p99.9 of 30 samples are all about the maximum" in s.warnings[0]
    assert "~" in s.text()
    assert sample_size_note(0.99, 1000) == ""
    assert sample_size_note(0.99, 500) == (
        "p99 of 500 samples rests on 5 samples above it; 1000 are needed for 10 to lie above it"
    )
    assert "minimum" in sample_size_note(0.001, 50)


def test_dataframe_groups_by_phase_and_source_and_skips_failures() -> None:
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "phase": ["connect"] * 60 + ["tool_duration"] * 40 + ["run_total"] * 2,
            "source": ["client"] * 80 + ["server"] * 20 + ["client"] * 2,
            "value_ms": np.r_[rng.exponential(10, 100), [np.nan, np.nan]],
            "ok": [True] * 59 + [False] + [True] * 40 + [False, False],
        }
    )
    s = summarize_latency(df)
    frame = s.to_frame()
    assert s.by == ("phase", "source")
    assert frame[["phase", "source", "count"]].values.tolist() == [
        ["connect", "client", 59],
        ["run_total", "client", 0],
        ["tool_duration", "client", 20],
        ["tool_duration", "server", 20],
    ]
    assert {"p99.9_ms", "p50_ci_low_ms", "mean_ci_high_ms", "unreliable"} <= set(frame.columns)
    assert any(w.startswith("run_total/client: no samples") for w in s.warnings)
    long = s.to_long()
    assert set(long["statistic"]) >= {"count", "min", "max", "mean", "p50", "p99.9"}
    by_user = summarize_latency(df, by=["source"])
    assert [g.key for g in by_user.groups] == [("client",), ("server",)]
    with pytest.raises(LatencyDataError, match="group by"):
        summarize_latency(df, by=["nope"])


def test_histograms_summarise_without_the_samples() -> None:
    sample, quantile, _ = DISTRIBUTIONS["exponential"]
    rng = np.random.default_rng(9)
    hists = {
        "a": LatencyHistogram.from_values(sample(rng, 50_000)),
        "b": LatencyHistogram.from_values(sample(rng, 5_000)),
    }
    s = summarize_latency(hists, n_boot=300)
    assert [g.key for g in s.groups] == [("a",), ("b",)] and s.by == ("phase",)
    a = s.group("a")
    assert not a.exact
    assert a.estimate("p95").value == pytest.approx(quantile(0.95), rel=0.03)
    merged = summarize_latency(hists["a"].merge(hists["b"]), n_boot=300).groups[0]
    assert merged.count == 55_000


def test_bad_parameters_raise() -> None:
    with pytest.raises(LatencyDataError):
        summarize_latency([1.0], quantiles=(1.5,))
    with pytest.raises(LatencyDataError):
        summarize_latency([1.0], confidence=1.0)
    with pytest.raises(LatencyDataError, match="value_ms"):
        summarize_latency(pd.DataFrame({"x": [1]}))
    one = summarize_latency([5.0]).groups[0]
    assert one.count == 1 and one.max == 5.0 and math.isnan(one.mean.ci_low)
    with pytest.raises(LatencyDataError, match=r"^summarize_latency: no data \(None\)"):
        summarize_latency(None)
    with pytest.raises(LatencyDataError, match="expected milliseconds"):
        summarize_latency(["fast"])


@pytest.mark.parametrize(
    "empty",
    [[], np.array([]), [math.nan], LatencyHistogram(), pd.DataFrame({"value_ms": []})],
    ids=["list", "array", "nan", "histogram", "frame"],
)
def test_no_samples_read_the_same_whatever_holds_them(empty: object) -> None:
    summary = summarize_latency(empty)
    assert summary.groups == () and summary.warnings == ()
    assert str(summary) == "no latency samples"
    assert repr(summary) == "LatencySummary(no latency samples)"


def test_a_named_group_without_samples_keeps_its_row() -> None:
    frame = pd.DataFrame({"phase": ["connect"], "value_ms": [math.nan], "ok": [False]})
    summary = summarize_latency(frame)
    assert [g.count for g in summary.groups] == [0]
    assert summary.warnings == ("connect: no samples: 1 attempt, none finished",)


def test_repr_is_one_line() -> None:
    frame = pd.DataFrame({"phase": ["a"] * 3 + ["b"] * 2, "value_ms": [1.0, 2, 3, 4, 5]})
    assert repr(summarize_latency(frame, n_boot=50)) == "LatencySummary(5 samples: a, b)"
