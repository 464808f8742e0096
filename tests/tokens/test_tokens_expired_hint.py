"""A token rejected as expired says what to do from its own times: the lifetime it was minted
with (a helper's short ttl, not the profile's), clock skew with a leeway for one expired
seconds ago, and no talk of skew for a token minted already expired."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def _hint(token: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["token", "verify", token]) == 1
    out = capsys.readouterr().out
    assert "[expired]" in out
    return next(line for line in out.splitlines() if "hint:" in line)


def test_expired_seconds_ago_after_a_short_lifetime(capsys: pytest.CaptureFixture[str]) -> None:
    now = time.time()
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=now - 40, ttl="30s")
    hint = _hint(token, capsys)
    assert "expired only 10s ago" in hint or "expired only 11s ago" in hint
    assert "--leeway 15 allows that skew" in hint
    assert "it lived 30s (iat to exp; local access tokens live 2h)" in hint


def test_expired_long_ago_names_the_lifetime_only(capsys: pytest.CaptureFixture[str]) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time() - 3 * 3600)
    hint = _hint(token, capsys)
    assert hint.endswith("hint: mint a fresh token; local access tokens live 2h")


def test_minted_already_expired_is_no_clock_skew(capsys: pytest.CaptureFixture[str]) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time(), ttl="-5s")
    hint = _hint(token, capsys)
    assert "it was minted expired (exp 5s before iat): mint it again" in hint
    assert "leeway" not in hint
