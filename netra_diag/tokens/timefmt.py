"""Human-readable durations and instants for token explanations.

Pure functions: every instant is passed in as epoch seconds (RFC 7519 §2 NumericDate); nothing here
reads a clock. None of them raises on odd input (NaN, infinities, years past 9999): a diagnostic
that crashes on the value it is meant to explain is no use.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

__all__ = ["format_delta", "format_instant", "format_pair", "format_relative"]


def format_delta(seconds: float) -> str:
    """Format a duration compactly: ``"250 ms"``, ``"12s"``, ``"4m 10s"``, ``"3h 2m"``, ``"7d"``.

    Negative durations get a leading ``-``; the two largest non-zero units are shown.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return "?"
    if math.isnan(seconds):
        return "?"
    if math.isinf(seconds):
        return "-∞" if seconds < 0 else "∞"
    sign = "-" if seconds < 0 else ""
    value = abs(float(seconds))
    if value < 1:
        ms = round(value * 1000)
        if ms < 1000:
            return f"{sign}{ms} ms"
    total = round(value)
    if total < 60:
        return f"{sign}{total}s"
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    first = next(i for i, (_, size) in enumerate(units) if total >= size)
    # Two adjacent units are shown, so round to the smaller one: 1h 59m 59.6s is "2h", not
    # "1h 59m" (a fresh 2 h token read as one a minute short, 30 days as "29d 23h").
    step = units[min(first + 1, len(units) - 1)][1]
    total = (total + step // 2) // step * step
    parts: list[tuple[str, int]] = []
    rest = total
    for name, size in units:
        count, rest = divmod(rest, size)
        parts.append((name, count))
    # Two adjacent units, starting at the largest non-zero one; drop a trailing zero ("15m").
    first = next(i for i, (_, count) in enumerate(parts) if count)
    shown = [f"{count}{name}" for name, count in parts[first : first + 2] if count]
    return sign + " ".join(shown)


def _to_datetime(epoch: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(epoch), UTC)
    except (OverflowError, OSError, ValueError, TypeError):
        return None


def format_instant(epoch: float, *, ms: bool = False) -> str:
    """``2026-11-24T10:00:00Z`` (UTC, whole seconds; ``ms=True`` adds milliseconds)."""
    moment = _to_datetime(epoch if ms else math.floor(epoch) if _finite(epoch) else epoch)
    if moment is None:
        return f"{epoch!r} (not a representable time)"
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if ms:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except (TypeError, OverflowError):
        return False


def format_pair(label: str, epoch: float, now: float) -> str:
    """``"exp 2026-11-24T10:00:00Z, now 10:03:12Z"``: the second instant loses its date when the
    two fall on the same UTC day, so the difference is easy to read."""
    first, second = _to_datetime(epoch), _to_datetime(now)
    now_text = format_instant(now)
    if first is not None and second is not None and first.date() == second.date():
        now_text = now_text.split("T", 1)[1]
    return f"{label} {format_instant(epoch)}, now {now_text}"


def format_relative(epoch: float, now: float) -> str:
    """``"in 4m 10s"`` or ``"3m 12s ago"`` (``"now"`` within half a second)."""
    try:
        delta = float(epoch) - float(now)
    except (TypeError, ValueError, OverflowError):
        return "?"
    if math.isnan(delta):
        return "?"
    if abs(delta) < 0.5:
        return "now"
    return f"in {format_delta(delta)}" if delta > 0 else f"{format_delta(-delta)} ago"
