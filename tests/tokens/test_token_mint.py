from __future__ import annotations

import math
from typing import Any

import jwt
import pytest
from token_testkit import NOW, SECRET, KeyPair

from netra_diag.errors import UsageError
from netra_diag.tokens import (
    PROFILES,
    inspect_token,
    mint_token,
    parse_ttl,
    verify_token,
)
from netra_diag.tokens.mint import MAX_EXP


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256"])
def test_round_trip_every_profile_and_alg(
    profile: str, alg: str, rsa_keys: KeyPair, ec_keys: KeyPair
) -> None:
    keys = {"RS256": rsa_keys, "ES256": ec_keys}.get(alg)
    sign_key = keys.private_pem if keys else SECRET
    verify_key = keys.public_pem if keys else SECRET
    token = mint_token(
        "u1", key=sign_key, now=NOW, algorithm=alg, profile=profile, allow_production=True
    )
    result = verify_token(token, verify_key, now=NOW + 1, profile=profile, algorithms=(alg,))
    assert result.ok, result.explain()
    assert result.claims["sub"] == "u1"
    assert result.claims["exp"] - result.claims["iat"] == PROFILES[profile].access_ttl_s
    assert inspect_token(token, now=NOW).header == {"alg": alg, "typ": "JWT"}


def test_default_claims_match_the_service() -> None:
    token = mint_token("u1", key=SECRET, now=NOW + 0.7)
    # PyJWT as an independent check of signature, aud and iss (its clock is real: times off).
    claims = jwt.decode(
        token,
        SECRET,
        algorithms=["HS256"],
        audience="netra-platform",
        issuer="netra-auth-service",
        options={"verify_exp": False, "verify_iat": False, "require": ["sub", "jti"]},
    )
    assert set(claims) == {
        "sub",
        "email",
        "permissions",
        "iat",
        "exp",
        "token_type",
        "type",
        "iss",
        "aud",
        "jti",
    }
    assert claims["iat"] == int(NOW) and isinstance(claims["exp"], int)
    assert claims["token_type"] == claims["type"] == "access"
    assert isinstance(claims["permissions"], list)
    other = jwt.decode(mint_token("u1", key=SECRET, now=NOW), options={"verify_signature": False})
    assert other["jti"] != claims["jti"]


def test_token_types_and_audiences() -> None:
    service = jwt.decode(
        mint_token("svc", key=SECRET, now=NOW, token_type="service"),
        options={"verify_signature": False},
    )
    assert service["aud"] == "netra-services" and service["token_type"] == "service"
    refresh = jwt.decode(
        mint_token("u1", key=SECRET, now=NOW, token_type="refresh", profile="staging"),
        options={"verify_signature": False},
    )
    assert refresh["exp"] - refresh["iat"] == 14 * 86400


@pytest.mark.parametrize(
    ("kwargs", "lifetime"),
    [
        ({"ttl": "15m"}, 900),
        ({"ttl": "90s"}, 90),
        ({"ttl": 300}, 300),
        ({"expires_in": 42}, 42),
        ({"ttl": "-5m"}, -300),
        ({}, 7200),
    ],
)
def test_lifetime_options(kwargs: dict[str, object], lifetime: int) -> None:
    token = mint_token("u1", key=SECRET, now=NOW, **kwargs)  # type: ignore[arg-type]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == lifetime


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15m", 900),
        ("90s", 90),
        ("2h", 7200),
        ("1d", 86400),
        ("300", 300),
        ("1h30m", 5400),
        ("1.5h", 5400),
        (" 2 min ", 120),
        ("500ms", 0.5),
        ("-5m", -300),
        (12.5, 12.5),
        ("1w", 604800),
    ],
)
def test_parse_ttl(text: str | float, seconds: float) -> None:
    assert parse_ttl(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "abc", "15x", "m15", "1h30", "--5m", float("nan"), True])
def test_parse_ttl_rejects_with_the_input_named(text: str | float) -> None:
    with pytest.raises(UsageError) as info:
        parse_ttl(text)
    assert "TTL" in str(info.value)


def test_extra_claims_override_and_none_removes() -> None:
    token = mint_token(
        "u1",
        key=SECRET,
        now=NOW,
        claims={"iss": "netra-test", "token_type": None, "env": "staging", "permissions": []},
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "netra-test" and claims["env"] == "staging"
    assert "token_type" not in claims and claims["type"] == "access"
    assert claims["permissions"] == []


def test_kid_header_and_alg_none() -> None:
    assert inspect_token(mint_token("u", key=SECRET, now=NOW, kid="k1"), now=NOW).header == {
        "alg": "HS256",
        "typ": "JWT",
        "kid": "k1",
    }
    unsigned = mint_token("u", key="", now=NOW, algorithm="none")
    assert unsigned.endswith(".") and unsigned.count(".") == 2


def test_usage_errors() -> None:
    with pytest.raises(UsageError, match="allow_production"):
        mint_token("u1", key=SECRET, now=NOW, profile="production")
    with pytest.raises(UsageError, match="at least 32"):
        mint_token("u1", key="short", now=NOW, profile="staging")
    with pytest.raises(UsageError, match="either ttl or expires_in"):
        mint_token("u1", key=SECRET, now=NOW, ttl="1m", expires_in=60)
    with pytest.raises(UsageError, match="sub"):
        mint_token("", key=SECRET, now=NOW)
    with pytest.raises(UsageError, match="unsupported algorithm"):
        mint_token("u1", key=SECRET, now=NOW, algorithm="HS999")
    with pytest.raises(UsageError, match="JSON"):
        mint_token("u1", key=SECRET, now=NOW, claims={"x": object()})
    with pytest.raises(UsageError, match="now"):
        mint_token("u1", key=SECRET, now=float("inf"))


def test_key_problems_are_usage_errors(rsa_keys: KeyPair, ec_keys: KeyPair) -> None:
    with pytest.raises(UsageError, match="RS256 needs a PEM RSA key"):
        mint_token("u1", key="not a pem", now=NOW, algorithm="RS256")
    with pytest.raises(UsageError, match="private key"):
        mint_token("u1", key=rsa_keys.public_pem, now=NOW, algorithm="RS256")
    with pytest.raises(UsageError, match="HS256 needs an HMAC secret"):
        mint_token("u1", key=rsa_keys.public_pem, now=NOW)
    with pytest.raises(UsageError, match="ES256"):
        mint_token("u1", key=rsa_keys.private_pem, now=NOW, algorithm="ES256")


def test_short_secret_allowed_outside_staging_without_warnings() -> None:
    # pytest turns warnings into errors: PyJWT's InsecureKeyLengthWarning must not escape.
    token = mint_token("u1", key="short", now=NOW, profile="test")
    assert verify_token(token, "short", now=NOW, profile="test").ok


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"claims": [("a", 1)]},
            r"^claims must be a mapping of claim name to value \(a dict\), got list$",
        ),
        ({"claims": {1: "x"}}, r"^claim names must be strings, got 1$"),
        ({"token_type": 5}, r"^token_type must be a non-empty string, got 5$"),
        ({"key": None}, r"^no key given"),
        ({"key": 123}, r"^key must be a str or bytes .*, got int$"),
        ({"ttl": 1e300}, r"^ttl 1e\+300 puts exp outside 1970\.\.9999 \(NumericDate"),
        ({"ttl": "-100000000000d"}, r"^ttl '-100000000000d' puts exp outside 1970\.\.9999"),
        ({"expires_in": 1e12}, r"^expires_in 1000000000000\.0 puts exp outside"),
    ],
)
def test_arguments_of_the_wrong_type_or_range_are_usage_errors(
    kwargs: dict[str, Any], message: str
) -> None:
    kwargs.setdefault("key", SECRET)
    with pytest.raises(UsageError, match=message):
        mint_token("u1", now=NOW, **kwargs)


def test_the_latest_exp_is_the_end_of_year_9999() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, expires_in=MAX_EXP - NOW)
    assert verify_token(token, SECRET, now=NOW, max_age_s=math.inf).claims["exp"] == MAX_EXP
