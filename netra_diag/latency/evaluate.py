"""Evaluate an ``SlaSpec`` against ``phase_metrics`` rows: a pass/fail table that never calls a
check passed when its data are missing, and says when a pass rests on too few samples.

Percentiles carry order-statistic intervals (``latency.intervals``, unbounded on a side the
sample cannot bound), means bootstrap intervals; success rates a Wilson interval; ``rate`` is
the peak events/s over ``burst`` consecutive events of one run; a ``sustained`` window evaluates
the statistic in every window of that length and reports the worst.

Durations that compare two clocks (``event_latency``: client receipt minus the server's
timestamp) are only as good as the agreement of those clocks. ``phase_metrics`` records in
``clock_skew_ms`` the least disagreement a cassette proves; rows of cassettes whose clocks
disagree by more than ``clock_tolerance`` (10 % of the check's threshold, at least 1 ms) are
left out of duration checks with a note, and a check left without rows is *not verified*
("no data", with the reason) rather than a breach: a replay serves the recorded server
timestamps, and their "latency" is the age of the recording.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError, UsageError
from netra_diag.latency.bootstrap import bootstrap_values, percentile_interval
from netra_diag.latency.histogram import LatencyHistogram
from netra_diag.latency.intervals import quantile_intervals
from netra_diag.latency.sla import SlaCheck, SlaSpec
from netra_diag.latency.sla_context import ContextValue, sample_from_context
from netra_diag.latency.sla_report import CheckResult, CheckStatus, SlaReport
from netra_diag.latency.sla_rows import one_source, where_note
from netra_diag.latency.sla_sample import Sample as _Sample
from netra_diag.latency.sla_sample import Stat as _Stat
from netra_diag.latency.sla_sample import burst_rate as _burst_rate
from netra_diag.latency.sla_sample import success_rate as _success_rate
from netra_diag.latency.sla_sample import with_note as _with_note
from netra_diag.latency.summary import (
    EXACT_LIMIT,
    MIN_TAIL_SAMPLES,
    mean_sample_note,
    sample_size_note,
)
from netra_diag.latency.unfinished import censored_note, lower_bound_values, unfinished_verdict
from netra_diag.latency.units import Dimension, format_quantity
from netra_diag.wording import plural

__all__ = ["clock_tolerance", "evaluate_sla"]


def evaluate_sla(
    spec: SlaSpec,
    metrics_df: pd.DataFrame,
    *,
    context: Mapping[str, ContextValue] | None = None,
    confidence: float = 0.95,
    seed: int = 0,
    n_boot: int = 1000,
) -> SlaReport:
    """Evaluate every check of ``spec`` on ``metrics_df`` (``phase_metrics`` columns: ``phase``,
    ``value_ms``, ``ok``; optional ``source``, ``t_ms``, ``wall``, ``cassette``, ``run`` and any
    column named in a check's ``where``).

    ``context`` supplies phases the recordings cannot: ``{"memory_peak": "229.5 MB",
    "suite_duration": "31.95 s", "suite_success": "1/4"}``. Values are a string with a unit, a
    number in the canonical unit (ms, /s, fraction, bytes), ``"k/n"`` successes, or a list.
    """
    if "phase" not in metrics_df.columns or "value_ms" not in metrics_df.columns:
        raise LatencyDataError(
            "evaluate_sla", f"metrics need 'phase' and 'value_ms' columns: {list(metrics_df)}"
        )
    results = []
    for check in spec.checks:
        rows, clock_note = _trusted_clock_rows(check, metrics_df)
        rows, source_note = one_source(check, rows)
        sample = _select(check, rows, context or {})
        if sample is None:
            note = f"not verified: {clock_note}" if clock_note else ""
            note = note or where_note(check, rows) or _no_data_note(check)
            results.append(CheckResult(check, CheckStatus.NO_DATA, note=note))
            continue
        result = _evaluate_check(check, sample, confidence, seed, n_boot)
        notes = (result.note, clock_note, source_note, check.direction_note)
        extra = "; ".join(n for n in notes if n)
        if extra != result.note:
            result = dataclasses.replace(result, note=extra)
        results.append(result)
    return SlaReport(spec, tuple(results), confidence)


def clock_tolerance(check: SlaCheck) -> float:
    """The clock disagreement (ms) a duration check can live with: 10 % of its threshold, at
    least 1 ms. Beyond it the measured values say more about the clocks than the service."""
    return max(1.0, 0.1 * check.threshold)


def _trusted_clock_rows(check: SlaCheck, df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """``df`` without the check's rows from cassettes whose clocks disagree too much for a
    duration check, and a note saying what was left out and why ("" when nothing was)."""
    if check.dimension is not Dimension.TIME or "clock_skew_ms" not in df.columns:
        return df, ""
    skew = pd.to_numeric(df["clock_skew_ms"], errors="coerce")
    bad = (df["phase"] == check.phase) & (skew > clock_tolerance(check))
    if not bad.any():
        return df, ""
    worst = float(skew[bad].max())
    if "cassette" in df.columns:
        names = sorted({str(c) for c in df.loc[bad, "cassette"]})
        more = " …" if len(names) > 3 else ""
        where = f"{plural(len(names), 'cassette')} ({', '.join(names[:3])}{more})"
    else:
        where = "the data"
    note = (
        f"{int(bad.sum())} {check.phase} {'value' if int(bad.sum()) == 1 else 'values'} of "
        f"{where} left out: the server's clock and "
        f"the client's disagree by at least {format_quantity(worst, Dimension.TIME)} (server "
        "timestamps outside [request sent, event received]; a replay serves old ones), more "
        f"than the {format_quantity(clock_tolerance(check), Dimension.TIME)} this check allows"
    )
    return df[~bad], note


def _no_data_note(check: SlaCheck) -> str:
    if check.dimension is Dimension.MEMORY:
        return f"recordings carry no {check.phase}; give it with --context {check.phase}=..."
    return f"no {check.phase} measurements in the data"


def _select(
    check: SlaCheck, df: pd.DataFrame, context: Mapping[str, ContextValue]
) -> _Sample | None:
    rows = df[df["phase"] == check.phase]
    if check.source is not None and "source" in rows.columns:
        rows = rows[rows["source"] == check.source]
    for column, wanted in check.where.items():
        if column not in rows.columns:
            return None
        rows = rows[rows[column].astype(str) == wanted]
    if len(rows):
        if check.dimension is Dimension.MEMORY:
            raise UsageError(
                f"check {check.id!r}: phase {check.phase!r} holds durations, "
                f"but the threshold {check.threshold_text!r} is a {check.dimension}"
            )
        values = pd.to_numeric(rows["value_ms"], errors="coerce").to_numpy(np.float64)
        if "ok" in rows.columns:
            ok = rows["ok"].fillna(False).astype(bool).to_numpy() & np.isfinite(values)
        else:
            ok = np.isfinite(values)
        times = _times(rows)
        groups = _groups(rows)
        at_least = None
        if "at_least_ms" in rows.columns:
            bounds = pd.to_numeric(rows["at_least_ms"], errors="coerce").to_numpy(np.float64)
            at_least = bounds[~ok & np.isfinite(bounds)]
        return _Sample(values[ok], ok, times, groups, at_least=at_least)
    if check.phase in context:
        return sample_from_context(check, context[check.phase])
    return None


def _times(rows: pd.DataFrame) -> npt.NDArray[np.float64] | None:
    if "wall" in rows.columns:
        wall = pd.to_numeric(rows["wall"], errors="coerce").to_numpy(np.float64)
        if np.isfinite(wall).all():
            return wall * 1000.0
    if "t_ms" in rows.columns:
        t = pd.to_numeric(rows["t_ms"], errors="coerce").to_numpy(np.float64)
        single = "cassette" not in rows.columns or rows["cassette"].nunique(dropna=False) <= 1
        if np.isfinite(t).all() and single:
            return t
    return None


def _groups(rows: pd.DataFrame) -> npt.NDArray[np.int64] | None:
    keys = [c for c in ("cassette", "run") if c in rows.columns]
    if not keys:
        return np.zeros(len(rows), dtype=np.int64)
    codes = rows.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    return codes.astype(np.int64)


def _evaluate_check(
    check: SlaCheck, sample: _Sample, confidence: float, seed: int, n_boot: int
) -> CheckResult:
    origin = sample.origin
    if check.sustained_ms is not None and sample.times is not None:
        result = _evaluate_windows(check, sample, confidence, seed, n_boot)
    else:
        stat = _statistic(check, sample, confidence, seed, n_boot)
        if check.sustained_ms is not None:
            note = "no common clock for these rows: the sustained window was not applied"
            stat = _with_note(stat, note)
        result = _finish(check, stat, origin)
    breach = _censored_breach(check, sample, confidence, seed, n_boot)
    return breach if breach is not None else _unfinished(check, sample, result)


def _censored_breach(
    check: SlaCheck, sample: _Sample, confidence: float, seed: int, n_boot: int
) -> CheckResult | None:
    """A failed result when the attempts known to have taken at least so long (runs that timed
    out), counted at that lower bound, already break the limit (``latency.unfinished``); None
    when they do not, or no bound is known."""
    left_out = int(sample.ok.size - np.count_nonzero(sample.ok))
    if sample.origin != "metrics" or sample.at_least is None:
        return None
    if check.sustained_ms is not None and sample.times is not None:
        return None  # judged per window; the bounds carry no window of their own
    low = lower_bound_values(check, sample.values, left_out, sample.at_least)
    if low is None:
        return None
    bounded = _Sample(low, np.ones(low.size, dtype=bool), None, None, origin=sample.origin)
    stat = _statistic(check, bounded, confidence, seed, n_boot)
    if not math.isfinite(stat.observed) or check.holds(stat.observed):
        return None
    bound_text = format_quantity(stat.observed, check.dimension)
    note = censored_note(check, sample.at_least, bound_text)
    if check.statistic not in ("max", "min"):
        note = f"{note}; {stat.note}" if stat.note else note
    ci_low = stat.ci_low
    result = _finish(
        check, _Stat(stat.observed, math.nan, math.nan, stat.n, True, note), sample.origin
    )
    if result.status is not CheckStatus.FAIL:
        return None
    # The values are lower bounds: so is the low end of their interval, and nothing bounds it
    # above. The failure is conclusive when even that low end breaks the limit.
    conclusive = math.isnan(ci_low) or not _bound_holds(check, ci_low)
    if not conclusive:
        reach = "has no lower bound" if math.isinf(ci_low) else "reaches down to"
        below = (
            f"{reach} {format_quantity(ci_low, check.dimension)}"
            if math.isfinite(ci_low)
            else reach
        )
        note = (
            f"{note}; at this confidence the {check.statistic} of {plural(stat.n, 'sample')} "
            f"{below}, within the limit"
        )
    return dataclasses.replace(
        result,
        ci_low=ci_low,
        ci_high=math.nan if math.isnan(ci_low) else math.inf,
        reliable=stat.reliable,
        conclusive=conclusive,
        note=note,
        left_out=left_out,
        at_least=True,
    )


def _unfinished(check: SlaCheck, sample: _Sample, result: CheckResult) -> CheckResult:
    """``result`` with the attempts that never finished said, and a pass they could overturn
    made inconclusive (``latency.unfinished``)."""
    left_out = int(sample.ok.size - np.count_nonzero(sample.ok))
    if result.status is CheckStatus.NO_DATA or sample.origin != "metrics":
        return result
    holds, note = unfinished_verdict(check, sample.values, left_out)
    if not note:
        return result
    joined = f"{result.note}; {note}" if result.note else note
    decides = not holds and result.status is CheckStatus.PASS
    return dataclasses.replace(
        result,
        note=joined,
        conclusive=result.conclusive and not decides,
        left_out=left_out,
        left_out_decides=decides,
    )


def _finish(check: SlaCheck, stat: _Stat, origin: str) -> CheckResult:
    if stat.n < check.min_samples or not math.isfinite(stat.observed):
        note = (
            stat.note or f"{plural(stat.n, 'sample')}; the check needs at least {check.min_samples}"
        )
        if math.isfinite(stat.observed) and stat.n < check.min_samples:
            note = f"{plural(stat.n, 'sample')}; the check needs at least {check.min_samples}"
        return CheckResult(check, CheckStatus.NO_DATA, n=stat.n, note=note, data_from=origin)
    holds = check.holds(stat.observed)
    conclusive = True
    if not (math.isnan(stat.ci_low) or math.isnan(stat.ci_high)):
        # An unbounded side (inf) lies beyond any threshold: plain comparisons, not ``holds``.
        conclusive = _bound_holds(check, stat.ci_low) == _bound_holds(check, stat.ci_high)
    note = stat.note
    if not conclusive:
        extra = "the confidence interval crosses the threshold"
        if math.isinf(stat.ci_low) or math.isinf(stat.ci_high):
            both = math.isinf(stat.ci_low) and math.isinf(stat.ci_high)
            side = "" if both else " from above" if math.isinf(stat.ci_high) else " from below"
            extra = (
                f"{plural(stat.n, 'sample')} cannot bound the {check.statistic}{side} at "
                "this confidence, so the interval reaches across the threshold"
            )
        note = f"{note}; {extra}" if note else extra
    return CheckResult(
        check,
        CheckStatus.PASS if holds else CheckStatus.FAIL,
        stat.observed,
        stat.ci_low,
        stat.ci_high,
        stat.n,
        stat.reliable,
        conclusive,
        note,
        origin,
    )


def _statistic(
    check: SlaCheck, sample: _Sample, confidence: float, seed: int, n_boot: int
) -> _Stat:
    x = sample.values
    n = int(x.size)
    stat = check.statistic
    if stat == "success_rate":
        # A connect row stands for a session's opening, not for each transport auto tried
        # (``latency.openings``): say so where the count is given.
        noun = "connects" if check.phase == "connect" else "attempts"
        return _success_rate(sample, confidence, noun)
    if stat == "count":
        return _Stat(float(n), math.nan, math.nan, n, True, "")
    if stat == "rate":
        return _burst_rate(check, sample)
    if n == 0:
        tried = int(sample.ok.size)
        # (a run a cut recording leaves open is among them: not every one is the service's fault)
        attempts = (
            f"all {tried} {check.phase} attempts" if tried > 1 else f"the one {check.phase} attempt"
        )
        why = f": {attempts} failed or never finished" if tried else ""
        return _Stat(math.nan, math.nan, math.nan, 0, False, f"no successful samples{why}")
    if stat in ("max", "min"):
        value = float(x.max() if stat == "max" else x.min())
        note = ""
        if n < MIN_TAIL_SAMPLES and sample.origin != "context":
            # A value given as context is the measurement itself, not a sample of a distribution.
            note = f"{stat} of {_samples(n)} says little about rarer events"
        return _Stat(value, math.nan, math.nan, n, not note, note)
    quantiles = [check.quantile] if check.quantile is not None else []
    if n > EXACT_LIMIT and quantiles:
        hist = LatencyHistogram.from_values(x)
        point = float(hist.quantile(quantiles[0]))
    elif quantiles:
        point = float(np.quantile(x, quantiles[0]))
    else:
        point = float(x.mean())
    if n < 2:
        low = high = math.nan
    elif quantiles:
        # Order statistics, not the bootstrap: see ``latency.intervals``.
        lo_arr, hi_arr = quantile_intervals(x, quantiles, confidence)
        low, high = float(lo_arr[0]), float(hi_arr[0])
    else:
        boot = bootstrap_values(x, (), n_boot=n_boot, seed=seed)
        lo_arr, hi_arr = percentile_interval(boot.mean[None, :], confidence)
        low, high = float(lo_arr[0]), float(hi_arr[0])
    if check.quantile is not None:
        note = sample_size_note(check.quantile, n)
    else:
        note = mean_sample_note(n)
    return _Stat(point, low, high, n, not note, note)


def _bound_holds(check: SlaCheck, bound: float) -> bool:
    t = check.threshold
    return {"<": bound < t, "<=": bound <= t, ">": bound > t, ">=": bound >= t}[check.comparison]


def _evaluate_windows(
    check: SlaCheck, sample: _Sample, confidence: float, seed: int, n_boot: int
) -> CheckResult:
    assert sample.times is not None and check.sustained_ms is not None
    times = sample.times
    window = np.floor((times - times.min()) / check.sustained_ms).astype(np.int64)
    value_window = window[sample.ok]
    worst: _Stat | None = None
    worst_index = -1
    evaluated = 0
    for w in np.unique(window):
        in_w = window == w
        sub = _Sample(
            sample.values[value_window == w],
            sample.ok[in_w],
            times[in_w],
            None if sample.groups is None else sample.groups[in_w],
        )
        stat = _statistic(check, sub, confidence, seed, n_boot)
        if stat.n < check.min_samples or not math.isfinite(stat.observed):
            continue
        evaluated += 1
        if worst is None or _worse(check, stat.observed, worst.observed):
            worst, worst_index = stat, int(w)
    if worst is None:
        return CheckResult(
            check,
            CheckStatus.NO_DATA,
            note=f"no {check.sustained_ms / 1000:g} s window has enough samples",
            data_from=sample.origin,
        )
    start_s = worst_index * check.sustained_ms / 1000
    window = f"{check.sustained_ms / 1000:g} s"
    note = f"worst of {plural(evaluated, 'window')} of {window}, at +{start_s:g} s"
    return _finish(check, _with_note(worst, note), sample.origin)


def _samples(n: int) -> str:
    return f"{n} sample" if n == 1 else f"{n} samples"


def _worse(check: SlaCheck, a: float, b: float) -> bool:
    return a > b if check.lower_is_better else a < b
