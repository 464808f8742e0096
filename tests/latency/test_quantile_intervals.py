"""Percentile confidence intervals checked against a direct computation: the textbook order
statistic ranks, and the coverage a "95 %" interval must have on samples of known quantiles."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from netra_diag.latency import CheckStatus, evaluate_sla, parse_sla, summarize_latency
from netra_diag.latency.histogram import LatencyHistogram
from netra_diag.latency.intervals import (
    histogram_quantile_intervals,
    order_statistic_ranks,
    quantile_intervals,
)


def _direct_ranks(n: int, q: float, confidence: float) -> tuple[int, int]:
    """The ranks from the binomial sums, term by term (math.comb)."""
    alpha = (1 - confidence) / 2
    cdf = []
    total = 0.0
    for k in range(n + 1):
        total += math.comb(n, k) * q**k * (1 - q) ** (n - k)
        cdf.append(total)
    lower = max((j for j in range(1, n + 1) if cdf[j - 1] <= alpha), default=0)
    upper = min((j for j in range(1, n + 1) if cdf[j - 1] >= 1 - alpha), default=n + 1)
    return lower, upper


@pytest.mark.parametrize("n", [1, 2, 6, 10, 30, 100, 300])
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
def test_ranks_match_the_binomial_sums(n: int, q: float) -> None:
    assert order_statistic_ranks(n, q, 0.95) == _direct_ranks(n, q, 0.95)


def test_textbook_median_interval() -> None:
    # The 95 % interval of the median of 30 samples: the 10th and 21st smallest.
    assert order_statistic_ranks(30, 0.5, 0.95) == (10, 21)
    low, high = quantile_intervals(np.arange(1.0, 31.0), [0.5], 0.95)
    assert (low[0], high[0]) == (10.0, 21.0)


def test_tail_of_a_small_sample_has_no_upper_bound() -> None:
    low, high = quantile_intervals(np.arange(1.0, 31.0), [0.95, 0.99], 0.95)
    assert math.isinf(high[0]) and math.isinf(high[1])
    assert low[0] == 26.0  # the 26th smallest lies below the p95 with >= 97.5 % probability


@pytest.mark.parametrize(("n", "q"), [(10, 0.95), (30, 0.95), (30, 0.99), (100, 0.99)])
def test_summary_intervals_cover_the_true_quantile(n: int, q: float) -> None:
    rng = np.random.default_rng(7)
    true = math.exp(NormalDist().inv_cdf(q))
    trials = 300
    hits = 0
    for t in range(trials):
        est = summarize_latency(rng.lognormal(size=n), quantiles=(q,), seed=t, n_boot=50)
        e = est.groups[0].quantiles[0]
        hits += e.ci_low <= true <= e.ci_high
    # 95 % intervals: at least 92 % of 300 trials (the bootstrap's covered 26 %-87 % here).
    assert hits / trials >= 0.92


def test_histogram_interval_contains_the_exact_one() -> None:
    x = np.random.default_rng(3).lognormal(3, 0.5, 5000)
    exact_low, exact_high = quantile_intervals(x, [0.5, 0.99], 0.95)
    hist_low, hist_high = histogram_quantile_intervals(
        LatencyHistogram.from_values(x), [0.5, 0.99], 0.95
    )
    assert np.all(hist_low <= exact_low) and np.all(hist_high >= exact_high)
    assert np.all(hist_high / hist_low < exact_high / exact_low * 1.05)


def test_sla_p95_of_ten_samples_is_not_conclusive() -> None:
    text = '[[check]]\nid = "c"\nphase = "x"\nstatistic = "p95"\ncomparison = "<"\n'
    spec = parse_sla(text + 'threshold = "100 ms"\n', phases=None)
    df = pd.DataFrame({"phase": "x", "value_ms": np.linspace(10, 20, 10), "ok": True})
    report = evaluate_sla(spec, df)
    result = report.results[0]
    assert result.status is CheckStatus.PASS and not result.conclusive and result.weak_pass
    assert math.isinf(result.ci_high) and result.ci_text().startswith("≥ ")
    assert "cannot bound the p95 from above" in result.note
    assert "≥ " in report.text().splitlines()[2]
    assert report.to_dict()["checks"][0]["ci_high"] is None
