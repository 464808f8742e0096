"""A token that verifies only with a key shorter than the profile's service accepts is no pass."""

from __future__ import annotations

from netra_diag.tokens import mint_token, verify_token
from netra_diag.tokens.failures import FailureCode

NOW = 1_700_000_000.0


def test_a_staging_verdict_with_a_too_short_secret_is_a_rejection() -> None:
    token = mint_token("u1", key="short", now=NOW, profile="local")
    verdict = verify_token(token, "short", now=NOW + 5, profile="staging")
    assert not verdict.ok
    (failure,) = [f for f in verdict.failures if f.code is FailureCode.UNSUPPORTED_KEY]
    assert "at least 32 characters; the key given has 5" in failure.message
    assert "short" not in str(failure.actual)  # the length, never the secret


def test_a_long_enough_secret_and_dev_profiles_are_unaffected() -> None:
    key = "k" * 32
    token = mint_token("u1", key=key, now=NOW, profile="staging")
    assert verify_token(token, key, now=NOW + 5, profile="staging").ok
    local = mint_token("u1", key="short", now=NOW, profile="local")
    assert verify_token(local, "short", now=NOW + 5, profile="local").ok
