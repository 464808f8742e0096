"""The mean's bootstrap interval is too narrow on small samples of skewed latencies; a mean of
fewer than 30 is marked and says so, in summaries and in SLA checks on the mean."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from netra_diag.latency import evaluate_sla, parse_sla, summarize_latency


def test_the_narrow_interval_is_real() -> None:
    # What the threshold rests on: lognormal latencies, 10 per sample, 300 trials.
    rng = np.random.default_rng(2)
    true = math.exp(0.5)
    hits = 0
    for t in range(300):
        mean = summarize_latency(rng.lognormal(0, 1, 10), quantiles=(), seed=t, n_boot=200)
        est = mean.groups[0].mean
        hits += est.ci_low <= true <= est.ci_high
    assert hits / 300 < 0.9


def test_a_mean_of_ten_is_marked() -> None:
    summary = summarize_latency(np.linspace(10.0, 100.0, 10))
    mean = summary.groups[0].mean
    assert not mean.reliable and "too narrow for skewed latencies (needs >= 30)" in mean.note
    assert "~" in summary.text().splitlines()[1].split()[1]
    assert summarize_latency(np.linspace(10.0, 100.0, 30)).groups[0].mean.reliable


def test_sla_mean_of_ten_is_a_weak_pass() -> None:
    text = '[[check]]\nphase = "reconnect"\nstatistic = "mean"\ncomparison = "<="\n'
    spec = parse_sla(text + 'threshold = "3 s"\n')
    rows = pd.DataFrame({"phase": "reconnect", "value_ms": np.linspace(900, 1100, 10), "ok": True})
    result = evaluate_sla(spec, rows).results[0]
    assert result.weak_pass and "too narrow for skewed latencies" in result.note
