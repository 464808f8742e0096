"""Attempts without a value (failed, or never finished) on each side of a baseline comparison.

A comparison of latencies sees only the attempts that finished: 3 of 30 runs that never
completed leave the 27 others "within noise" of the baseline. The counts are set beside each
phase's verdict, and ``SlaGate`` names phases where more attempts failed than in the baseline.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["Failures", "failure_counts", "failure_note"]

# (attempts without a value, attempts) per group key
Failures = dict[tuple[Any, ...], tuple[int, int]]


def failure_counts(data: Any, by: Sequence[str]) -> Failures:
    """Per group, (failed, total) of a ``phase_metrics`` frame's rows; {} for anything else."""
    if not isinstance(data, pd.DataFrame) or "ok" not in data.columns:
        return {}
    if any(c not in data.columns for c in by):
        return {}
    failed = ~data["ok"].fillna(False).astype(bool)
    if not by:
        return {(): (int(failed.sum()), len(data))}
    out: Failures = {}
    for key, part in failed.groupby([data[c] for c in by], sort=True):
        k = key if isinstance(key, tuple) else (key,)
        out[k] = (int(part.sum()), len(part))
    return out


def failure_note(baseline: tuple[int, int], current: tuple[int, int]) -> str:
    """``"3 of 30 current attempts failed or never finished (baseline: 0 of 30)"``, or "" when
    neither side has any."""
    (fb, nb), (fc, nc) = baseline, current
    if not fb and not fc:
        return ""
    return (
        f"{fc} of {nc} current attempts failed or never finished (baseline: {fb} of {nb}); "
        "the latencies compare the rest"
    )
