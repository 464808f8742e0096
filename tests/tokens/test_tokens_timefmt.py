"""Durations are rounded to the smaller of the two units shown, not cut: a token minted with
a 2 h lifetime a fraction of a second ago 'expires in 2h' (it read '1h 59m'), a 30-day refresh
token in 30d (it read '29d 23h'), one issued 2 days ahead '2d' in the future (it read '1d 23h')."""

from __future__ import annotations

import pytest
from token_testkit import NOW, SECRET

from netra_diag.tokens import format_delta, mint_token, verify_token


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(7199.4, "2h"), (2591999.6, "30d"), (172799, "2d"), (10949, "3h 2m"), (10950, "3h 3m")],
)
def test_rounded_to_the_last_unit_shown(seconds: float, text: str) -> None:
    assert format_delta(seconds) == text
    assert format_delta(-seconds) == "-" + text


def test_a_fresh_token_expires_in_its_lifetime() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, ttl="2h")
    assert verify_token(token, SECRET, now=NOW + 0.6).explain().endswith("expires in 2h")
