"""Quantities with units, as SLA files and ``--context`` values write them ("100 ms", "50 /s",
"75 %", "500 MB"), converted to one canonical unit per dimension: milliseconds, events per
second, a fraction in [0, 1], bytes, or a plain count."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Dimension", "Quantity", "canonical_unit", "format_quantity", "parse_quantity"]


class Dimension(StrEnum):
    TIME = "time"  # canonical unit: ms
    RATE = "rate"  # canonical unit: per second
    FRACTION = "fraction"  # canonical unit: 1 (0.75 = 75 %)
    MEMORY = "memory"  # canonical unit: bytes
    COUNT = "count"  # a plain number


_UNITS: dict[str, tuple[Dimension, float]] = {
    "ns": (Dimension.TIME, 1e-6),
    "us": (Dimension.TIME, 1e-3),
    "µs": (Dimension.TIME, 1e-3),
    "μs": (Dimension.TIME, 1e-3),
    "ms": (Dimension.TIME, 1.0),
    "msec": (Dimension.TIME, 1.0),
    "millisecond": (Dimension.TIME, 1.0),
    "milliseconds": (Dimension.TIME, 1.0),
    "s": (Dimension.TIME, 1e3),
    "sec": (Dimension.TIME, 1e3),
    "secs": (Dimension.TIME, 1e3),
    "second": (Dimension.TIME, 1e3),
    "seconds": (Dimension.TIME, 1e3),
    "min": (Dimension.TIME, 60e3),
    "mins": (Dimension.TIME, 60e3),
    "minute": (Dimension.TIME, 60e3),
    "minutes": (Dimension.TIME, 60e3),
    "h": (Dimension.TIME, 3600e3),
    "hour": (Dimension.TIME, 3600e3),
    "hours": (Dimension.TIME, 3600e3),
    "/s": (Dimension.RATE, 1.0),
    "per s": (Dimension.RATE, 1.0),
    "events/s": (Dimension.RATE, 1.0),
    "hz": (Dimension.RATE, 1.0),
    "%": (Dimension.FRACTION, 0.01),
    "b": (Dimension.MEMORY, 1.0),
    "kb": (Dimension.MEMORY, 1e3),
    "mb": (Dimension.MEMORY, 1e6),
    "gb": (Dimension.MEMORY, 1e9),
    "kib": (Dimension.MEMORY, 1024.0),
    "mib": (Dimension.MEMORY, 1024.0**2),
    "gib": (Dimension.MEMORY, 1024.0**3),
}
_CANONICAL = {
    Dimension.TIME: "ms",
    Dimension.RATE: "/s",
    Dimension.FRACTION: "%",
    Dimension.MEMORY: "B",
    Dimension.COUNT: "",
}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Quantity:
    """``value`` in the canonical unit of ``dimension``; ``text`` as written."""

    value: float
    dimension: Dimension
    text: str

    def __str__(self) -> str:
        return format_quantity(self.value, self.dimension)


def parse_quantity(text: str | float | int, *, unit: str | None = None) -> Quantity:
    """Parse ``"100 ms"``, ``"4.5s"``, ``"50 /s"``, ``"75 %"``, ``"500 MB"`` or a bare number
    (a COUNT, unless ``unit`` is given). Raises ValueError saying what was wrong."""
    if isinstance(text, bool):
        raise ValueError(f"expected a number with a unit, got {text!r}")
    if isinstance(text, int | float):
        number, rest = float(text), ""
    elif isinstance(text, str):
        match = _NUMBER.match(text)
        if not match:
            raise ValueError(f"expected a number with a unit such as '100 ms', got {text!r}")
        number, rest = float(match.group(1)), match.group(2)
    else:
        raise ValueError(f"expected a number with a unit, got {type(text).__name__}")
    if unit is not None:
        if rest:
            raise ValueError(f"unit given twice: {text!r} and unit {unit!r}")
        rest = unit.strip()
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    shown = str(text) if unit is None else f"{text} {unit}"
    if not rest:
        return Quantity(number, Dimension.COUNT, shown)
    key = rest.lower()
    if key not in _UNITS:
        if re.match(r"^,\d", rest):
            raise ValueError(f"{shown!r}: write the decimal with a point, e.g. '1.5 s'")
        known = ", ".join(sorted(k for k in _UNITS if k.isascii() and "illi" not in k))
        raise ValueError(f"unknown unit {rest!r} in {shown!r} (known: {known})")
    dimension, scale = _UNITS[key]
    return Quantity(number * scale, dimension, shown)


def format_quantity(value: float, dimension: Dimension) -> str:
    """A short human form of a canonical value: ``1500.0, TIME -> "1.5 s"``."""
    if value is None or not math.isfinite(value):
        return "-"
    if dimension is Dimension.TIME:
        if abs(value) >= 1000:
            return f"{value / 1000:.4g} s"
        return f"{value:.4g} ms"
    if dimension is Dimension.FRACTION:
        return f"{value * 100:.4g} %"
    if dimension is Dimension.MEMORY:
        for div, name in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if abs(value) >= div:
                return f"{value / div:.4g} {name}"
        return f"{value:.4g} B"
    if dimension is Dimension.RATE:
        return f"{value:.4g} /s"
    return f"{value:.4g}"


def format_shift(value_ms: float) -> str:
    """A signed duration in its own unit: ``5726.0 -> "+5.726 s"``, ``-0.0126 -> "-0.0126 ms"``
    (a change of seconds read "+5.73e+03 ms")."""
    if not math.isfinite(value_ms):
        return "-"
    return ("-" if value_ms < 0 else "+") + format_quantity(abs(value_ms), Dimension.TIME)


def format_change(before_ms: float, after_ms: float) -> str:
    """``25, 37.5 -> "25→37.5 ms"``; ``983, 6709 -> "983 ms→6.709 s"``: the unit once when the
    two share it."""
    before, after = (format_quantity(v, Dimension.TIME) for v in (before_ms, after_ms))
    unit = after.rpartition(" ")[2]
    if before.endswith(f" {unit}"):
        before = before.rpartition(" ")[0]
    return f"{before}→{after}"


def canonical_unit(dimension: Dimension) -> str:
    return _CANONICAL[dimension]
