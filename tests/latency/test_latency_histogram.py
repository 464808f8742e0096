"""LatencyHistogram: bounded relative error, exact merge, serialisation that rejects bad input."""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_diag.errors import LatencyDataError
from netra_diag.latency import LatencyHistogram


def bound(h: LatencyHistogram, x: np.ndarray) -> np.ndarray:
    """The documented error bound: relative above ``half`` units, half a unit below."""
    return np.maximum(x * h.relative_error, h.resolution_ms / 2) * (1 + 1e-12)


@pytest.mark.parametrize("digits", [1, 2, 3])
def test_relative_error_bound_holds_over_many_decades(digits: int) -> None:
    rng = np.random.default_rng(digits)
    x = np.exp(rng.uniform(np.log(1e-4), np.log(1e7), 200_000))
    h = LatencyHistogram(significant_digits=digits)
    assert h.relative_error <= 0.5 * 10**-digits
    mid = h.value_at_index(h.index_of(x))
    assert np.all(np.abs(mid - x) <= bound(h, x))
    lower, upper = h.bucket_bounds(h.index_of(x))
    assert np.all((lower <= x) & (x < upper * (1 + 1e-12)))


@given(st.lists(st.floats(0, 1e9, allow_nan=False), min_size=1, max_size=200))
def test_every_recorded_value_is_within_the_bound(values: list[float]) -> None:
    x = np.asarray(values)
    h = LatencyHistogram.from_values(x)
    assert h.count == x.size
    assert np.all(np.abs(h.value_at_index(h.index_of(x)) - x) <= bound(h, x))


def test_quantiles_match_the_exact_order_statistic_within_the_bound() -> None:
    x = np.random.default_rng(7).lognormal(3, 1.2, 300_001)
    h = LatencyHistogram.from_values(x)
    s = np.sort(x)
    qs = np.array([0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999])
    exact = s[np.ceil(qs * x.size).astype(int) - 1]
    assert np.all(np.abs(h.quantile(qs) - exact) <= bound(h, exact))
    assert h.quantile(0.0) == x.min() and h.quantile(1.0) == x.max()
    assert math.isclose(h.mean, x.mean(), rel_tol=1e-9)


def test_merge_equals_the_histogram_of_the_concatenation() -> None:
    rng = np.random.default_rng(3)
    parts = [rng.exponential(s, n) for s, n in ((5, 1000), (500, 30_000), (0.01, 77))]
    merged = LatencyHistogram.merge_all(LatencyHistogram.from_values(p) for p in parts)
    whole = LatencyHistogram.from_values(np.concatenate(parts))
    assert merged == whole
    assert merged.count == whole.count and math.isclose(merged.sum, whole.sum, rel_tol=1e-12)
    assert np.array_equal(merged.quantile([0.5, 0.99]), whole.quantile([0.5, 0.99]))
    # merge returns a new histogram; record adds in place.
    first = LatencyHistogram.from_values(parts[0])
    _ = first + LatencyHistogram.from_values(parts[1])
    assert first.count == parts[0].size


def test_merge_refuses_different_layouts() -> None:
    with pytest.raises(LatencyDataError, match="layouts differ"):
        LatencyHistogram(significant_digits=2).merge(LatencyHistogram(significant_digits=3))


def test_nan_inf_and_negative_values_are_counted_not_hidden() -> None:
    h = LatencyHistogram.from_values([1.0, math.nan, math.inf, -3.0, 2.0])
    assert h.count == 3 and h.skipped == 2 and h.clamped == 1
    assert h.min == -3.0 and h.quantile(0.5) == pytest.approx(1.0, rel=0.01)
    assert math.isnan(LatencyHistogram().quantile(0.5))
    with pytest.raises(LatencyDataError, match=r"\[0, 1\]"):
        h.quantile(1.5)


def test_bins_for_plotting_are_bounded_and_conserve_counts() -> None:
    h = LatencyHistogram.from_values(np.random.default_rng(1).lognormal(2, 2, 100_000))
    for log in (True, False):
        bins = h.bins(50, log=log)
        assert len(bins) <= 50
        assert int(bins["count"].sum()) == h.count
        assert (bins["lower_ms"] < bins["upper_ms"]).all()
    assert LatencyHistogram().bins().empty


def test_dict_round_trip_through_json() -> None:
    h = LatencyHistogram.from_values(np.random.default_rng(2).gamma(2, 30, 5000))
    back = LatencyHistogram.from_dict(json.loads(json.dumps(h.to_dict())))
    assert back == h and back.sum == h.sum and back.clamped == h.clamped
    empty = LatencyHistogram.from_dict(LatencyHistogram().to_dict())
    assert empty.count == 0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"format": "other"}, "format"),
        ({"version": 2}, "version"),
        ({"resolution_ms": -1}, "resolution_ms"),
        ({"significant_digits": 9}, "significant_digits"),
        ({"buckets": [[1, "x"]]}, "buckets"),
        ({"buckets": "nope"}, "buckets"),
        ({"count": 5}, "count"),
        ({"min_ms": None}, "min_ms"),
        ({"min_ms": 1e9}, "min_ms"),
    ],
)
def test_bad_dicts_name_the_field(patch: dict[str, Any], field: str) -> None:
    data = {**LatencyHistogram.from_values([1.0, 2.0]).to_dict(), **patch}
    with pytest.raises(LatencyDataError, match=repr(field)):
        LatencyHistogram.from_dict(data)


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "format",
                "version",
                "resolution_ms",
                "significant_digits",
                "count",
                "min_ms",
                "max_ms",
                "sum_ms",
                "buckets",
                "clamped",
                "skipped",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-5, 70000),
            st.floats(),
            st.text(max_size=5),
            st.lists(st.lists(st.integers(-2, 70000), max_size=3), max_size=4),
            st.just("netra-latency-histogram"),
        ),
    )
)
def test_from_dict_fuzz_only_raises_our_error(data: dict[str, Any]) -> None:
    with contextlib.suppress(LatencyDataError):
        LatencyHistogram.from_dict(data)
