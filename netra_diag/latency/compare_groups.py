"""The values ``compare_latency`` compares, by group, and the rows it must leave out: those of a
cassette that proves its clocks disagree by more than the smallest change worth calling (a
latency measured across two clocks moves with them)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.latency.summary import ms_array

__all__ = ["Groups", "LeftOut", "value_groups"]

Groups = dict[tuple[Any, ...], npt.NDArray[np.float64]]
LeftOut = dict[tuple[Any, ...], tuple[int, float]]


def value_groups(data: Any, by: tuple[str, ...], clock_limit_ms: float) -> tuple[Groups, LeftOut]:
    """Values by group, and per group (count, worst skew) of the rows left out because their
    cassette proves a clock disagreement beyond ``clock_limit_ms`` (``clock_skew_ms``)."""
    if isinstance(data, pd.DataFrame):
        if "value_ms" not in data.columns:
            raise LatencyDataError("compare_latency", "DataFrame has no 'value_ms' column")
        frame = data
        if "ok" in frame.columns:
            frame = frame[frame["ok"].fillna(False).astype(bool)]
        missing = [c for c in by if c not in frame.columns]
        if missing:
            raise LatencyDataError("compare_latency", f"no column(s) {missing} to group by")
        left_out: LeftOut = {}
        if "clock_skew_ms" in frame.columns:
            skew = pd.to_numeric(frame["clock_skew_ms"], errors="coerce")
            bad = skew > clock_limit_ms
            if bad.any():
                skipped = frame[bad].assign(_skew=skew[bad])
                parts = skipped.groupby(list(by), sort=True) if by else [((), skipped)]
                for key, part in parts:
                    k = key if isinstance(key, tuple) else (key,)
                    left_out[k] = (len(part), float(part["_skew"].max()))
                frame = frame[~bad]
        values = pd.to_numeric(frame["value_ms"], errors="coerce")
        if not by:
            return {(): values.to_numpy(np.float64, na_value=np.nan)}, left_out
        return {
            key: part.to_numpy(np.float64, na_value=np.nan)
            for key, part in values.groupby([frame[c] for c in by], sort=True)
        }, left_out
    return {(): ms_array(data, "compare_latency")}, {}
