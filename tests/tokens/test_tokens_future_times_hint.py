"""``verify`` of a token whose ``iat``/``nbf`` lies ahead (the minting machine's clock is fast)
hinted "allow it with a 4200s leeway (--leeway 4200)"; but the service verifies with no leeway
and refuses the token all the same. The hint now says to fix that clock or mint again, and that
``--leeway`` only changes what verify accepts."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.tokens import FailureCode, mint_token, verify_token

SECRET = "staging-secret-for-future-hint-tests-0123456789"


def failure_hint(code: FailureCode, ahead_s: float) -> str:
    now = time.time()
    token = mint_token("u1", key=SECRET, now=now + ahead_s, profile="staging")
    claims = {"nbf": int(now + ahead_s)} if code is FailureCode.NOT_YET_VALID else None
    if claims:
        token = mint_token("u1", key=SECRET, now=now, profile="staging", claims=claims)
    result = verify_token(token, SECRET, now=now, profile="staging")
    [failure] = [f for f in result.failures if f.code is code]
    return failure.hint or ""


@pytest.mark.parametrize("code", [FailureCode.ISSUED_IN_FUTURE, FailureCode.NOT_YET_VALID])
def test_clock_skew_hint_says_the_service_allows_none(code: FailureCode) -> None:
    hint = failure_hint(code, 3550)
    assert "allow it with" not in hint
    assert "the service allows no clock skew" in hint
    assert "fix that machine's clock (NTP) or mint it again" in hint
    assert "--leeway 4200 only changes what verify accepts, not the service" in hint


def test_far_ahead_says_mint_again() -> None:
    hint = failure_hint(FailureCode.ISSUED_IN_FUTURE, 3 * 3600)
    assert "minted with a wrong time: mint it again" in hint
    assert "--leeway" not in hint


def test_cli_verify_prints_the_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    token = mint_token("u1", key=SECRET, now=time.time() + 600, profile="staging")
    assert main(["token", "verify", "--profile", "staging", token]) == 1
    out = capsys.readouterr().out
    assert "[issued_in_future]" in out
    assert "hint: the minting machine's clock is ahead by about" in out
    assert "only changes what verify accepts" in out and "allow it with" not in out
    assert token not in out
