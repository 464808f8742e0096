"""Thresholds as people write them: spelled-out units, and a decimal comma said plainly."""

from __future__ import annotations

import pytest

from netra_diag.latency.units import parse_quantity


@pytest.mark.parametrize(
    ("text", "ms"),
    [("5 seconds", 5000.0), ("1 minute", 60_000.0), ("250 msec", 250.0), ("2 hours", 7.2e6)],
)
def test_spelled_out_time_units(text: str, ms: float) -> None:
    assert parse_quantity(text).value == ms


def test_a_decimal_comma_is_named() -> None:
    with pytest.raises(ValueError, match=r"write the decimal with a point, e.g. '1.5 s'"):
        parse_quantity("1,5 s")
