"""Coordinated omission: latencies measured from when a load generator *managed* to start a
session hide the time the session should already have been running.

A fan-out releases sessions on a fixed cadence (``ramp`` per second). When the service is slow,
connects queue up and each session starts late; measured from its actual start it looks fast, yet
a user who arrived on schedule waited the delay as well. Correcting means measuring from the
intended start: ``corrected = latency + (actual - intended)`` (Gil Tene, "How NOT to Measure
Latency"; HdrHistogram's ``recordValueWithExpectedInterval`` does the same for a fixed-rate loop).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError

__all__ = ["OmissionReport", "correct_coordinated_omission", "omission_from_fanout"]


@dataclass(frozen=True, slots=True)
class OmissionReport:
    """``frame`` columns: ``index``, ``intended_ms``, ``actual_ms`` (both relative to the first
    intended start), ``start_delay_ms`` (actual - intended, >= 0), ``latency_ms`` (as measured,
    NaN when none was given), ``corrected_ms`` (latency + start delay). ``explanation`` says in
    words what the correction changed."""

    frame: pd.DataFrame
    explanation: str
    late: int
    tolerance_ms: float
    interval_ms: float | None

    @property
    def corrected(self) -> npt.NDArray[np.float64]:
        return self.frame["corrected_ms"].to_numpy(np.float64)

    @property
    def measured(self) -> npt.NDArray[np.float64]:
        return self.frame["latency_ms"].to_numpy(np.float64)


def _pct(x: npt.NDArray[np.float64], q: float) -> float:
    x = x[np.isfinite(x)]
    return float(np.quantile(x, q)) if x.size else math.nan


def correct_coordinated_omission(
    intended_start_s: npt.ArrayLike,
    actual_start_s: npt.ArrayLike,
    latency_ms: npt.ArrayLike | None = None,
    *,
    tolerance_ms: float = 1.0,
) -> OmissionReport:
    """Latencies measured from the intended start of each session.

    ``intended_start_s`` and ``actual_start_s`` are seconds on one clock (fan-out's
    ``intended_start_s`` / ``actual_start_s``); ``latency_ms`` is what was measured from the
    actual start (e.g. connect or first-event time). Without latencies the corrected series is
    the start delay alone. A start later than ``tolerance_ms`` counts as late.
    """
    intended = np.asarray(intended_start_s, dtype=np.float64).ravel()
    actual = np.asarray(actual_start_s, dtype=np.float64).ravel()
    if intended.shape != actual.shape:
        raise LatencyDataError(
            "correct_coordinated_omission",
            f"{intended.size} intended but {actual.size} actual start times",
        )
    if latency_ms is None:
        latency = np.full(intended.shape, np.nan)
    else:
        latency = np.asarray(latency_ms, dtype=np.float64).ravel()
        if latency.shape != intended.shape:
            raise LatencyDataError(
                "correct_coordinated_omission",
                f"{latency.size} latencies for {intended.size} start times",
            )
    origin = float(np.nanmin(intended)) if intended.size and np.isfinite(intended).any() else 0.0
    delay = np.maximum((actual - intended) * 1e3, 0.0)
    base = np.where(np.isfinite(latency), latency, 0.0) if latency_ms is None else latency
    corrected = base + delay
    frame = pd.DataFrame(
        {
            "index": np.arange(intended.size),
            "intended_ms": (intended - origin) * 1e3,
            "actual_ms": (actual - origin) * 1e3,
            "start_delay_ms": delay,
            "latency_ms": latency,
            "corrected_ms": corrected,
        }
    )
    late = int(np.count_nonzero(delay > tolerance_ms))
    steps = np.diff(np.sort(intended[np.isfinite(intended)]))
    interval = float(np.median(steps) * 1e3) if steps.size else None
    text = _explain(frame, late, tolerance_ms, interval, latency_ms is not None)
    return OmissionReport(frame, text, late, tolerance_ms, interval)


def _explain(
    frame: pd.DataFrame, late: int, tolerance_ms: float, interval: float | None, measured: bool
) -> str:
    n = len(frame)
    delay = frame["start_delay_ms"].to_numpy(np.float64)
    cadence = f" (one every {interval:.4g} ms)" if interval else ""
    if n == 0:
        return "no sessions: nothing to correct"
    if late == 0:
        return (
            f"All {n} sessions started within {tolerance_ms:g} ms of their intended time"
            f"{cadence}: the load generator kept its schedule, so there is no coordinated "
            "omission to correct."
        )
    late_delays = delay[np.isfinite(delay) & (delay > tolerance_ms)]
    parts = [
        f"{late} of {n} sessions started late{cadence}: by {np.median(late_delays):.4g} ms "
        f"(median of the late ones), {late_delays.max():.4g} ms at worst."
    ]
    if measured:
        q = 0.99 if n >= 100 else 0.9 if n >= 10 else 1.0
        name = "max" if q == 1.0 else f"p{q * 100:g}"
        before = _pct(frame["latency_ms"].to_numpy(np.float64), q)
        after = _pct(frame["corrected_ms"].to_numpy(np.float64), q)
        ratio = f" ({after / before:.3g}x)" if before > 0 else ""
        parts.append(
            f"Measured from the actual start, {name} latency is {before:.4g} ms; measured from "
            f"the intended start, which is what a user arriving on schedule waited, it is "
            f"{after:.4g} ms{ratio}."
        )
    parts.append(
        "This is coordinated omission: while the generator was held up by the slow service it "
        "did not start the sessions it should have, so the slow moments are under-sampled and "
        "the measured percentiles look better than the service was. Judge the service by the "
        "corrected series."
    )
    return " ".join(parts)


def omission_from_fanout(users_df: pd.DataFrame, *, latency: str = "connect_ms") -> OmissionReport:
    """Correct a fan-out's per-user table (columns ``intended_start_s``, ``actual_start_s`` and
    ``latency``, by default ``connect_ms``); users that never started are left out."""
    needed = ["intended_start_s", "actual_start_s", latency]
    missing = [c for c in needed if c not in users_df.columns]
    if missing:
        raise LatencyDataError("omission_from_fanout", f"users table lacks column(s) {missing}")
    rows = users_df[pd.to_numeric(users_df["actual_start_s"], errors="coerce").notna()]
    return correct_coordinated_omission(
        pd.to_numeric(rows["intended_start_s"], errors="coerce").to_numpy(np.float64),
        pd.to_numeric(rows["actual_start_s"], errors="coerce").to_numpy(np.float64),
        pd.to_numeric(rows[latency], errors="coerce").to_numpy(np.float64),
    )
