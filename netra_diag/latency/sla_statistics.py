"""The statistics an SLA check may name, and the kind of threshold each one takes."""

from __future__ import annotations

import re
from typing import Any

from netra_diag.latency.units import Dimension, Quantity

__all__ = ["check_dimension", "parse_statistic"]

_PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")
_ALLOWED_DIMENSIONS: dict[str, tuple[Dimension, ...]] = {
    "rate": (Dimension.RATE,),
    "success_rate": (Dimension.FRACTION,),
    "count": (Dimension.COUNT,),
}
_VALUE_DIMENSIONS = (Dimension.TIME, Dimension.MEMORY)


def parse_statistic(text: str) -> tuple[str, float | None]:
    """``"p95" -> ("p95", 0.95)``, ``"median" -> ("p50", 0.5)``, ``"max" -> ("max", None)``.
    Raises ValueError for anything else."""
    name = text.strip().lower()
    if name == "median":
        return "p50", 0.5
    if name in ("mean", "min", "max", "count", "rate", "success_rate"):
        return name, None
    match = _PERCENTILE.match(name)
    if match:
        pct = float(match.group(1))
        if 0 < pct < 100:
            return f"p{pct:.10g}", round(pct / 100.0, 12)
    meant = _meant(name)
    hint = f" (did you mean {meant!r}?)" if meant else ""
    raise ValueError(
        f"unknown statistic {text!r}{hint}: use pNN (p50, p95, p99.9), median, mean, min, max, "
        "count, rate or success_rate"
    )


# What other tools call these: Grafana's avg, k6's p(95), "95th percentile", p100 for the max.
_ALIASES = {"avg": "mean", "average": "mean", "maximum": "max", "minimum": "min", "p100": "max"}
_ALIASES |= {"p0": "min", "success": "success_rate", "throughput": "rate"}
_ALIASES |= {"successrate": "success_rate", "success-rate": "success_rate"}
_SPELLED_PERCENTILE = re.compile(r"^(?:p\(?|pct|percentile\s*)?(\d{1,2}(?:\.\d+)?)(?:th|%|\))?$")


def _meant(name: str) -> str:
    """The statistic a common other spelling stands for ("" when none is close)."""
    squeezed = name.replace(" ", "").replace("_", "") if name != "success_rate" else name
    if name in _ALIASES or squeezed in _ALIASES:
        return _ALIASES.get(name) or _ALIASES[squeezed]
    match = _SPELLED_PERCENTILE.match(squeezed)
    if match and 0 < float(match.group(1)) < 100:
        return f"p{float(match.group(1)):.10g}"
    return ""


def check_dimension(statistic: str, quantity: Quantity, fail: Any) -> None:
    allowed = _ALLOWED_DIMENSIONS.get(statistic, _VALUE_DIMENSIONS)
    if quantity.dimension is Dimension.COUNT and statistic == "success_rate":
        if 0 <= quantity.value <= 1:
            return  # a bare fraction such as 0.75 is fine for a success rate
        raise fail(
            "threshold", f"a success rate is a fraction or a percentage, got {quantity.text!r}"
        )
    if quantity.dimension not in allowed:
        wanted = " or ".join(
            {
                Dimension.TIME: "a duration ('100 ms')",
                Dimension.MEMORY: "a size ('500 MB')",
                Dimension.RATE: "a rate ('50 /s')",
                Dimension.FRACTION: "a percentage ('75 %')",
                Dimension.COUNT: "a plain number",
            }[d]
            for d in allowed
        )
        raise fail(
            "threshold",
            f"{statistic} needs {wanted}, got {quantity.text!r} ({quantity.dimension})",
        )
