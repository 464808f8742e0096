"""Baseline vs current verdicts, and coordinated-omission correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from netra_diag.errors import LatencyDataError
from netra_diag.latency import (
    Verdict,
    compare_latency,
    correct_coordinated_omission,
    omission_from_fanout,
)


def frame(phases: dict[str, np.ndarray]) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"phase": p, "source": "client", "value_ms": v, "ok": True})
        for p, v in phases.items()
    ]
    return pd.concat(parts, ignore_index=True)


def test_verdicts_per_phase() -> None:
    rng = np.random.default_rng(11)
    base = frame(
        {
            "connect": rng.lognormal(3, 0.5, 3000),
            "first_event": rng.lognormal(5, 0.5, 3000),
            "run_total": rng.lognormal(7, 0.5, 3000),
            "auth": rng.lognormal(2, 0.5, 3),
        }
    )
    cur = frame(
        {
            "connect": rng.lognormal(3, 0.5, 3000),  # same distribution
            "first_event": rng.lognormal(5, 0.5, 3000) * 1.3,  # 30 % slower
            "run_total": rng.lognormal(7, 0.5, 3000) * 0.7,  # 30 % faster
            "auth": rng.lognormal(2, 0.5, 3),
        }
    )
    report = compare_latency(base, cur)
    verdicts = {r.key[0]: r.verdict for r in report.rows}
    assert verdicts == {
        "auth": Verdict.INSUFFICIENT,
        "connect": Verdict.NOISE,
        "first_event": Verdict.REGRESSION,
        "run_total": Verdict.IMPROVEMENT,
    }
    slow = next(r for r in report.rows if r.key[0] == "first_event")
    assert slow.median.ci_low > 0 and slow.p95.ci_low > 0
    assert slow.median.relative == pytest.approx(0.3, abs=0.06)
    assert [r.key[0] for r in report.regressions] == ["first_event"]
    out = report.to_frame()
    assert list(out.columns[:4]) == ["phase", "source", "n_baseline", "n_current"]
    assert {"median_delta_ci_low_ms", "p95_delta_pct", "verdict"} <= set(out.columns)
    assert "1 regression (first_event/client)" in report.headline
    assert "first_event/client: regression" in report.text()


def test_tiny_but_significant_changes_are_noise() -> None:
    rng = np.random.default_rng(2)
    x = rng.lognormal(3, 0.3, 200_000)
    report = compare_latency(x, x * 1.01, n_boot=300)
    row = report.rows[0]
    assert row.median.ci_low > 0  # statistically real …
    assert row.verdict is Verdict.NOISE  # … but under the 5 % that matters


def test_sub_millisecond_shift_of_a_tiny_baseline_is_noise() -> None:
    # Loopback event latency: ~0.09 ms, then ~0.11 ms. +22 % and a tight interval, but 0.02 ms
    # is below anything a client notices and below the clocks' own jitter (QA: "8 regression"
    # with event_latency median +0.0215 ms).
    rng = np.random.default_rng(5)
    base = rng.normal(0.09, 0.005, 2000)
    report = compare_latency(base, base + 0.0215, n_boot=300)
    row = report.rows[0]
    assert row.median.ci_low > 0 and row.median.relative > 0.2
    assert row.verdict is Verdict.NOISE and not report.regressions
    assert "under the floor (5% of the baseline and 1 ms)" in row.note
    # The same relative shift of a 90 ms phase clears both floors.
    slow = compare_latency(base * 1000, (base + 0.0215) * 1000, n_boot=300)
    assert slow.rows[0].verdict is Verdict.REGRESSION
    # The floor is a parameter; a negative one makes no sense.
    assert compare_latency(base, base + 0.0215, n_boot=300, min_absolute_change_ms=0.01).regressions
    with pytest.raises(LatencyDataError, match="floors"):
        compare_latency(base, base, min_absolute_change_ms=-1)


def test_p95_on_a_small_sample_stays_out_of_the_verdict() -> None:
    rng = np.random.default_rng(4)
    base = rng.exponential(10, 60)
    cur = np.r_[rng.exponential(10, 57), [500.0, 600.0, 700.0]]  # only the tail moved
    row = compare_latency(base, cur).rows[0]
    assert not row.p95.usable and "left out of the verdict" in row.note
    assert row.verdict is Verdict.NOISE


def test_bad_inputs() -> None:
    with pytest.raises(LatencyDataError):
        compare_latency(pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [1]}))
    with pytest.raises(LatencyDataError, match=r"^compare_latency: no data \(None\)"):
        compare_latency(None, [1.0])


def test_two_empty_arrays_read_as_two_empty_frames() -> None:
    empty = pd.DataFrame({"phase": [], "value_ms": []})
    for report in (compare_latency([], []), compare_latency(empty, empty)):
        assert report.rows == () and report.headline == "nothing to compare"
        assert str(report) == "nothing to compare"


def test_arrays_are_one_group_named_all_values() -> None:
    x = np.arange(1, 50.0)
    report = compare_latency(x, x * 1.5)
    assert report.headline == "baseline vs current, all values: regression"
    assert str(report).splitlines()[1].startswith("  all values: regression: median 25→37.5 ms")
    few = compare_latency([1.0, 2.0], [], n_boot=50)
    assert few.headline == (
        "baseline vs current, all values: insufficient data "
        "(2 baseline and 0 current samples; need 5 each)"
    )


def test_a_group_too_small_for_a_verdict_still_shows_its_medians() -> None:
    base = frame({"auth": np.array([1.0, 2.0, 3.0]), "connect": np.array([4.0])})
    cur = frame({"auth": np.array([2.0, 4.0]), "connect": np.array([], dtype=float)})
    report = compare_latency(base, cur, n_boot=50)
    out = report.to_frame().set_index("phase")
    assert out.loc["auth", ["median_baseline_ms", "median_current_ms"]].tolist() == [2.0, 3.0]
    assert out.loc["auth", "median_delta_ms"] == 1.0
    assert out.loc["auth", ["median_delta_ci_low_ms", "p95_baseline_ms"]].isna().all()
    assert out.loc["connect", "median_baseline_ms"] == 4.0
    assert np.isnan(out.loc["connect", "median_current_ms"])
    assert (out["verdict"] == "insufficient data").all()
    assert "auth/client: insufficient data: median 2→3 ms (+1 ms, no interval)" in report.text()
    assert not report.regressions


def test_str_is_the_text_and_repr_is_one_line() -> None:
    x = np.arange(1, 50.0)
    report = compare_latency(frame({"connect": x}), frame({"connect": x * 1.5}), n_boot=100)
    assert str(report) == report.text()
    assert str(report).splitlines()[0] == report.headline
    assert repr(report) == f"ComparisonReport({report.headline!r})"


# -- coordinated omission -----------------------------------------------------------------------


def test_correction_adds_the_start_delay() -> None:
    intended = np.arange(10) * 0.1  # one session every 100 ms
    actual = intended.copy()
    actual[5:] += 0.5  # the generator stalled for 500 ms
    latency = np.full(10, 20.0)
    report = correct_coordinated_omission(intended, actual, latency)
    assert report.late == 5 and report.interval_ms == pytest.approx(100.0)
    assert report.frame["start_delay_ms"].tolist() == pytest.approx([0] * 5 + [500] * 5)
    assert report.corrected.tolist() == pytest.approx([20] * 5 + [520] * 5)
    assert report.measured.tolist() == [20.0] * 10
    text = report.explanation
    assert text.startswith("5 of 10 sessions started late (one every 100 ms)")
    assert "coordinated omission" in text and "520 ms" in text


def test_on_schedule_needs_no_correction() -> None:
    t = np.arange(50) * 0.02
    report = correct_coordinated_omission(t, t + 0.0001)
    assert report.late == 0 and "no coordinated omission to correct" in report.explanation
    assert report.corrected.max() == pytest.approx(0.1)


def test_fanout_users_table() -> None:
    users = pd.DataFrame(
        {
            "intended_start_s": [0.0, 0.1, 0.2, 0.3],
            "actual_start_s": [0.0, 0.1, 0.9, None],
            "connect_ms": [10.0, 12.0, 11.0, None],
        }
    )
    report = omission_from_fanout(users)
    assert len(report.frame) == 3 and report.corrected.tolist() == pytest.approx([10, 12, 711])
    with pytest.raises(LatencyDataError, match="lacks"):
        omission_from_fanout(users.drop(columns="connect_ms"))
    with pytest.raises(LatencyDataError, match="intended"):
        correct_coordinated_omission([0.0, 1.0], [0.0])
