from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_diag.tokens import format_delta, format_instant, format_relative
from netra_diag.tokens.timefmt import format_pair


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "250 ms"),
        (0, "0 ms"),
        (0.9996, "1s"),
        (12, "12s"),
        (59.6, "1m"),
        (250, "4m 10s"),
        (192, "3m 12s"),
        (900, "15m"),
        (10920, "3h 2m"),
        (7200, "2h"),
        (90000, "1d 1h"),
        (604800, "7d"),
        (-192, "-3m 12s"),
        (math.inf, "∞"),
        (math.nan, "?"),
    ],
)
def test_format_delta(seconds: float, text: str) -> None:
    assert format_delta(seconds) == text


def test_format_instant_and_pair() -> None:
    assert format_instant(1795514400) == "2026-11-24T10:00:00Z"
    assert format_instant(1795514400.5) == "2026-11-24T10:00:00Z"
    assert format_instant(1795514400.5, ms=True) == "2026-11-24T10:00:00.500Z"
    assert format_pair("exp", 1795514400, 1795514592) == ("exp 2026-11-24T10:00:00Z, now 10:03:12Z")
    # Different days keep the full date.
    assert "now 2026-11-25T" in format_pair("exp", 1795514400, 1795514400 + 86400)
    assert "not a representable time" in format_instant(1e300)


def test_format_relative() -> None:
    assert format_relative(1250, 1000) == "in 4m 10s"
    assert format_relative(1000, 1192) == "3m 12s ago"
    assert format_relative(1000, 1000.2) == "now"


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_formatters_never_raise(value: float) -> None:
    assert format_delta(value)
    assert format_instant(value)
    assert format_relative(value, 0.0)
