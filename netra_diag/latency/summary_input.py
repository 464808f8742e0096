"""What ``summarize_latency`` accepts, turned into groups of milliseconds: an array, a
``LatencyHistogram``, a mapping of name to histogram, or a ``phase_metrics`` DataFrame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.latency.histogram import LatencyHistogram

__all__ = ["fmt_ms", "group_values", "ms_array"]


def ms_array(data: Any, what: str) -> npt.NDArray[np.float64]:
    """Milliseconds as a flat float array; ``LatencyDataError`` for ``None`` (which numpy would
    turn into one NaN, silently) and for what is not numbers."""
    if data is None:
        raise LatencyDataError(
            what,
            "no data (None): pass milliseconds (an array) or a phase_metrics DataFrame",
        )
    try:
        return np.asarray(data, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise LatencyDataError(
            what, f"expected milliseconds (numbers), got {type(data).__name__}: {exc}"
        ) from exc


def fmt_ms(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if abs(value) >= 1_000_000:
        return f"{value / 1000:.0f}s"  # not "1e+03s"
    if abs(value) >= 1000:
        return f"{value / 1000:.3g}s"
    return f"{value:.3g}ms"


def group_values(
    data: Any, by: Sequence[str] | None
) -> tuple[
    tuple[str, ...], list[tuple[tuple[Any, ...], npt.NDArray[np.float64] | LatencyHistogram]]
]:
    if isinstance(data, LatencyHistogram):
        return (), [((), data)]
    if isinstance(data, Mapping):
        keys = tuple(by) if by is not None else ("phase",)
        out: list[tuple[tuple[Any, ...], Any]] = []
        for key, hist in data.items():
            if not isinstance(hist, LatencyHistogram):
                raise LatencyDataError(
                    "summarize_latency", f"mapping value for {key!r} is not a LatencyHistogram"
                )
            out.append((key if isinstance(key, tuple) else (key,), hist))
        return keys, out
    if isinstance(data, pd.DataFrame):
        if "value_ms" not in data.columns:
            raise LatencyDataError(
                "summarize_latency", f"DataFrame has no 'value_ms' column: {list(data.columns)}"
            )
        frame = data
        if by is None:
            keys = tuple(c for c in ("phase", "source") if c in frame.columns)
        else:
            keys = tuple(by)
            missing = [c for c in keys if c not in frame.columns]
            if missing:
                raise LatencyDataError("summarize_latency", f"no column(s) {missing} to group by")
        values = pd.to_numeric(frame["value_ms"], errors="coerce")
        if "ok" in frame.columns:
            # Failed attempts keep their group (so it shows as "no samples") but add no value.
            values = values.where(frame["ok"].fillna(False).astype(bool))
        if not keys:
            return (), [((), values.to_numpy(dtype=np.float64, na_value=np.nan))]
        grouped: list[tuple[tuple[Any, ...], npt.NDArray[np.float64] | LatencyHistogram]] = []
        for key, part in values.groupby([frame[k] for k in keys], sort=True, dropna=False):
            grouped.append((tuple(key), part.to_numpy(dtype=np.float64, na_value=np.nan)))
        return keys, grouped
    return (), [((), ms_array(data, "summarize_latency"))]
