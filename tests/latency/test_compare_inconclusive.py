"""A large change whose interval spans zero is "within noise" *and* said to be inconclusive: the
verdict alone read as "no change" where the samples could not tell either way."""

from __future__ import annotations

import numpy as np

from netra_diag.latency.compare import Verdict, compare_latency


def _wide_current() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    baseline = rng.normal(300.0, 5.0, 12)
    # Half the current runs as before, half far slower: the median's interval spans zero.
    current = np.concatenate([rng.normal(300.0, 5.0, 6), rng.normal(2200.0, 50.0, 6)])
    return baseline, current


def test_a_large_change_the_samples_cannot_confirm_is_called_inconclusive() -> None:
    baseline, current = _wide_current()
    report = compare_latency(baseline, current)
    (row,) = report.rows
    assert row.verdict is Verdict.NOISE
    assert row.median.ci_low < 0 < row.median.ci_high  # the premise: the interval spans zero
    assert abs(row.median.delta) > 100
    assert "inconclusive: the median moved" in row.note
    assert "spans zero" in row.note
    assert "inconclusive" in report.headline
    assert "inconclusive" in report.text()


def test_a_steady_phase_is_within_noise_without_the_note() -> None:
    rng = np.random.default_rng(4)
    report = compare_latency(rng.normal(300.0, 5.0, 40), rng.normal(300.5, 5.0, 40))
    (row,) = report.rows
    assert row.verdict is Verdict.NOISE
    assert "inconclusive" not in row.note
    assert "inconclusive" not in report.headline


def test_headline_over_groups_names_the_inconclusive_ones() -> None:
    import pandas as pd

    baseline, current = _wide_current()
    rng = np.random.default_rng(5)
    steady_b, steady_c = rng.normal(50.0, 1.0, 12), rng.normal(50.0, 1.0, 12)
    frame = lambda a, b: pd.DataFrame(  # noqa: E731
        {"phase": ["run_total"] * len(a) + ["connect"] * len(b), "value_ms": [*a, *b]}
    )
    report = compare_latency(frame(baseline, steady_b), frame(current, steady_c))
    assert "2 within noise" in report.headline
    assert "of those within noise 1 inconclusive (run_total" in report.headline


def test_too_few_samples_note_counts_in_words() -> None:
    report = compare_latency(np.array([300.0]), np.array([310.0]))
    assert "1 baseline and 1 current sample; need 5 each" in report.rows[0].note
