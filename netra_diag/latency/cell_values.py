"""The values of a ``frames`` table's cells as the latency walk reads them: a number, a text, a
mark's ``data``. A table loaded from a cassette, built by hand or read back from Parquet holds
None, NaN, ``pd.NA`` or JSON text where a value is missing; each reader turns all of them into
one answer (NaN, None, an empty mapping) instead of failing on the first odd cell.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["as_data", "as_number", "as_text"]


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT


def as_number(value: Any) -> float:
    """A finite float, or NaN for anything else (None, NA, text, bool, inf)."""
    if isinstance(value, bool) or _blank(value):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def as_text(value: Any) -> str | None:
    """A non-empty string, or None for missing values."""
    return None if _blank(value) or value == "" else str(value)


def as_data(value: Any) -> Mapping[str, Any]:
    """A mark's ``data``: a mapping as is, a JSON object string parsed, anything else empty."""
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return {}
