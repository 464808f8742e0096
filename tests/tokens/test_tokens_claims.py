"""Claim explanations read literally: an empty ``sub`` is not 'missing (present: sub, …)';
a time claim sent as a string is shown as a string; a --max-age other than the service's 24 h is
not called the service's rule, and its hint gives the age that applied."""

from __future__ import annotations

from token_testkit import NOW, SECRET

from netra_diag.tokens import FailureCode, mint_token, verify_token


def test_an_empty_required_claim_is_said_to_be_empty() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, claims={"sub": ""})
    (failure,) = verify_token(token, SECRET, now=NOW).failures
    assert failure.code == FailureCode.MISSING_CLAIM
    assert failure.message.startswith("required claim 'sub' is empty, as good as missing")
    assert failure.actual == "''"


def test_a_time_claim_given_as_a_string_shows_its_type() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, claims={"exp": str(int(NOW) + 60)})
    (failure,) = verify_token(token, SECRET, now=NOW).failures
    assert failure.code == FailureCode.MALFORMED
    assert failure.actual == f"'{int(NOW) + 60}' (str)"


def test_a_max_age_of_the_callers_own_is_not_called_the_services() -> None:
    token = mint_token("u1", key=SECRET, now=NOW - 600)
    (failure,) = verify_token(token, SECRET, now=NOW, max_age_s=300).failures
    assert failure.code == FailureCode.TOO_OLD
    assert "more than the 5m allowed here (the service allows 1d)" in failure.message
    assert "24 h" not in failure.hint and "more than 5m ago" in failure.hint


def test_a_pass_that_needed_the_leeway_for_iat_or_nbf_says_so() -> None:
    token = mint_token("u1", key=SECRET, now=NOW + 120, ttl="15m")
    text = verify_token(token, SECRET, now=NOW, leeway=150).explain()
    assert text.endswith("issued in the future by 2m (iat), accepted within the 2m 30s leeway")
    token = mint_token("u1", key=SECRET, now=NOW, ttl="15m", claims={"nbf": int(NOW) + 40})
    text = verify_token(token, SECRET, now=NOW, leeway=60).explain()
    assert text.endswith("not valid for another 40s (nbf), accepted within the 1m leeway")
