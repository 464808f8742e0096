"""A mean that one huge outlier makes (999 values of 10 ms and one of 1000 s) is marked, and the
text table writes a 1000 s maximum as 1000s, not 1e+03s."""

from __future__ import annotations

import numpy as np

from netra_diag.latency import summarize_latency


def test_a_mean_made_by_one_outlier_is_not_reliable() -> None:
    summary = summarize_latency(np.r_[np.full(999, 10.0), 1_000_000.0])
    mean = summary.groups[0].mean
    assert not mean.reliable and "rests on a few extreme values" in mean.note
    text = summary.text()
    assert "~1.01s" in text and "1000s" in text and "e+03" not in text
    assert "read the percentiles" in text


def test_an_ordinary_skewed_sample_keeps_its_mean() -> None:
    sample = np.random.default_rng(0).lognormal(3, 1, 300)
    assert summarize_latency(sample).groups[0].mean.reliable
