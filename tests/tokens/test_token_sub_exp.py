"""``token_sub_exp`` (what a session reads per connect) agrees with ``inspect_token``."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.tokens import LOCAL_DEV_SECRET, inspect_token, mint_token, token_sub_exp


def expected(token: str) -> tuple[str | None, float | None]:
    insp = inspect_token(token, now=time.time())
    sub = (insp.claims or {}).get("sub")
    return (None if sub is None else str(sub)), insp.times.get("exp")


@given(
    sub=st.text(min_size=1, max_size=30),
    ttl=st.integers(min_value=-86_400, max_value=86_400),
)
def test_minted_tokens(sub: str, ttl: int) -> None:
    token = mint_token(sub, key=LOCAL_DEV_SECRET, now=time.time(), ttl=ttl)
    assert token_sub_exp(token) == expected(token)
    assert token_sub_exp(f"Bearer {token}") == expected(f"Bearer {token}")


@given(st.text(max_size=80))
def test_garbage_never_raises_and_matches(text: str) -> None:
    assert token_sub_exp(text) == expected(text)
