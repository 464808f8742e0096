from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from token_testkit import NOW, SECRET, KeyPair

from netra_diag.errors import TokenRejected, UsageError
from netra_diag.tokens import (
    LOCAL_DEV_SECRET,
    Failure,
    FailureCode,
    Verification,
    mint_token,
    verify_token,
)
from netra_diag.tokens.rules import suggest_leeway


def mint(now: float = NOW, **kwargs: Any) -> str:
    kwargs.setdefault("key", SECRET)
    return mint_token("u1", now=now, **kwargs)


def only(result: Verification, code: FailureCode) -> Failure:
    assert not result.ok
    assert [f.code for f in result.failures] == [code], result.explain()
    return result.failures[0]


def test_valid_token() -> None:
    result = verify_token(mint(ttl="15m"), SECRET, now=NOW + 60)
    assert result.ok and result.failures == ()
    assert result.explain() == (
        f"token {result.fingerprint} is valid for local: sub='u1', expires in 14m"
    )
    result.raise_for_failures()  # no-op


def test_expired_says_how_long_ago_with_both_instants() -> None:
    failure = only(verify_token(mint(ttl="15m"), SECRET, now=NOW + 900 + 192), FailureCode.EXPIRED)
    assert failure.message == ("expired 3m 12s ago (exp 2026-11-24T10:15:00Z, now 10:18:12Z)")
    assert failure.actual == "2026-11-24T10:15:00Z"
    assert "fresh token" in failure.hint


def test_leeway_covers_small_expiry_and_is_mentioned_when_not_enough() -> None:
    token = mint(ttl="15m")
    assert verify_token(token, SECRET, now=NOW + 920, leeway=30).ok
    failure = only(verify_token(token, SECRET, now=NOW + 960, leeway=30), FailureCode.EXPIRED)
    assert failure.message.endswith("even with 30s leeway")


def test_bad_parameters_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="leeway"):
        verify_token(mint(), SECRET, now=NOW, leeway=-5)
    with pytest.raises(UsageError, match="unknown token profile"):
        verify_token(mint(), SECRET, now=NOW, profile="qa")


def test_not_yet_valid() -> None:
    token = mint(claims={"nbf": int(NOW) + 120})
    failure = only(verify_token(token, SECRET, now=NOW), FailureCode.NOT_YET_VALID)
    assert failure.message == ("not valid for another 2m (nbf 2026-11-24T10:02:00Z, now 10:00:00Z)")
    assert verify_token(token, SECRET, now=NOW, leeway=120).ok


def test_issued_in_future_suggests_a_leeway() -> None:
    token = mint(now=NOW + 45)
    failure = only(verify_token(token, SECRET, now=NOW), FailureCode.ISSUED_IN_FUTURE)
    assert failure.message == ("issued 45s in the future (iat 2026-11-24T10:00:45Z, now 10:00:00Z)")
    assert "--leeway 50" in failure.hint
    assert verify_token(token, SECRET, now=NOW, leeway=50).ok
    assert suggest_leeway(3) == 5 and suggest_leeway(61) == 90
    assert suggest_leeway(7200) is None and suggest_leeway(float("inf")) is None
    far = only(verify_token(mint(now=NOW + 7200), SECRET, now=NOW), FailureCode.ISSUED_IN_FUTURE)
    assert "far more than clock skew" in far.hint


def test_bad_signature_explains_wrong_secret() -> None:
    failure = only(
        verify_token(mint(), "another-secret-of-sufficient-length!!", now=NOW),
        FailureCode.BAD_SIGNATURE,
    )
    assert "does not verify with the HS256 secret given" in failure.message
    assert "JWT_SECRET" in failure.hint
    assert SECRET not in failure.message + failure.hint


def test_bad_signature_recognises_the_local_dev_secret() -> None:
    token = mint(key=LOCAL_DEV_SECRET)
    failure = only(verify_token(token, SECRET, now=NOW), FailureCode.BAD_SIGNATURE)
    assert "built-in local development secret" in failure.hint


def test_tampered_payload_is_a_bad_signature() -> None:
    header, _, signature = mint().split(".")
    other_payload = mint(claims={"sub": "admin"}).split(".")[1]
    result = verify_token(f"{header}.{other_payload}.{signature}", SECRET, now=NOW)
    only(result, FailureCode.BAD_SIGNATURE)


def test_alg_mismatch(rsa_keys: KeyPair) -> None:
    token = mint(key=rsa_keys.private_pem, algorithm="RS256")
    failure = only(verify_token(token, SECRET, now=NOW), FailureCode.ALG_MISMATCH)
    assert failure.message == "alg is 'RS256', but only HS256 is accepted here"
    assert failure.expected == ["HS256"] and failure.actual == "RS256"


def test_alg_none_is_refused_even_when_allowed() -> None:
    token = mint(key="", algorithm="none")
    failure = only(
        verify_token(token, SECRET, now=NOW, algorithms=("HS256", "none")), FailureCode.ALG_NONE
    )
    assert "unsigned" in failure.message


def test_unsupported_key(rsa_keys: KeyPair) -> None:
    token = mint(key=rsa_keys.private_pem, algorithm="RS256")
    failure = only(
        verify_token(token, "plain-secret", now=NOW, algorithms=("RS256",)),
        FailureCode.UNSUPPORTED_KEY,
    )
    assert "RS256 needs a PEM RSA key" in failure.message
    only(verify_token(mint(), rsa_keys.public_pem, now=NOW), FailureCode.UNSUPPORTED_KEY)


def test_rsa_verify_with_public_or_private_key_and_wrong_key(
    rsa_keys: KeyPair, other_rsa_keys: KeyPair, ec_keys: KeyPair
) -> None:
    token = mint(key=rsa_keys.private_pem, algorithm="RS256")
    assert verify_token(token, rsa_keys.public_pem, now=NOW, algorithms=("RS256",)).ok
    assert verify_token(token, rsa_keys.private_pem, now=NOW, algorithms=("RS256",)).ok
    failure = only(
        verify_token(token, other_rsa_keys.public_pem, now=NOW, algorithms=("RS256",)),
        FailureCode.BAD_SIGNATURE,
    )
    assert "different private key" in failure.hint
    es = mint(key=ec_keys.private_pem, algorithm="ES256")
    assert verify_token(es, ec_keys.public_pem, now=NOW, algorithms=("ES256",)).ok


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"aud": "netra-api"}, "aud is 'netra-api', expected one of"),
        ({"aud": None}, "aud is missing"),
        ({"aud": "localhost"}, "aud is 'localhost'"),
    ],
)
def test_wrong_audience(claims: dict[str, Any], expected: str) -> None:
    token = mint(claims=claims, profile="staging")
    failure = only(
        verify_token(token, SECRET, now=NOW, profile="staging"), FailureCode.WRONG_AUDIENCE
    )
    assert failure.message.startswith(expected)
    assert "netra-platform" in failure.message and "(staging)" in failure.message


def test_dev_audiences_accepted_only_in_dev() -> None:
    token = mint(claims={"aud": "localhost"}, profile="development")
    assert verify_token(token, SECRET, now=NOW, profile="development").ok
    assert verify_token(mint(claims={"aud": ["x", "netra-platform"]}), SECRET, now=NOW).ok
    custom = verify_token(mint(), SECRET, now=NOW, audiences={"netra-admin"})
    only(custom, FailureCode.WRONG_AUDIENCE)


def test_wrong_issuer_names_the_helper_drift() -> None:
    failure = only(
        verify_token(mint(claims={"iss": "netra-test"}), SECRET, now=NOW), FailureCode.WRONG_ISSUER
    )
    assert failure.message == "iss is 'netra-test', expected 'netra-auth-service'"
    assert "test helper" in failure.hint


@pytest.mark.parametrize("claim", ["sub", "iat", "exp", "iss", "jti"])
def test_missing_required_claim(claim: str) -> None:
    token = mint(claims={claim: None})
    result = verify_token(token, SECRET, now=NOW)
    failure = next(f for f in result.failures if f.code is FailureCode.MISSING_CLAIM)
    assert failure.message.startswith(f"required claim {claim!r} is missing (present: ")
    assert failure.expected == claim


def test_wrong_token_type_and_type_without_token_type() -> None:
    failure = only(
        verify_token(mint(token_type="refresh"), SECRET, now=NOW), FailureCode.WRONG_TOKEN_TYPE
    )
    assert failure.message == "token_type is 'refresh', expected 'access'"
    drift = only(
        verify_token(mint(claims={"token_type": None}), SECRET, now=NOW),
        FailureCode.WRONG_TOKEN_TYPE,
    )
    assert drift.message == (
        "token_type is missing (type='access' is set, but the service reads token_type)"
    )
    assert "set both" in drift.hint
    assert verify_token(mint(token_type="refresh"), SECRET, now=NOW, expected_type=None).ok


def test_too_old() -> None:
    token = mint(ttl="30d", profile="development")
    failure = only(
        verify_token(token, SECRET, now=NOW + 25 * 3600, profile="development"),
        FailureCode.TOO_OLD,
    )
    assert failure.message.startswith("issued 1d 1h ago, more than the 1d the service accepts")


def test_env_and_svc_id_mismatch() -> None:
    token = mint(claims={"env": "production", "svc_id": "svc-a"}, profile="staging")
    failure = only(
        verify_token(token, SECRET, now=NOW, profile="staging"), FailureCode.ENV_MISMATCH
    )
    assert failure.message == "env is 'production', but this is staging"
    result = verify_token(
        mint(claims={"env": "local", "svc_id": "svc-a"}),
        SECRET,
        now=NOW,
        expected_svc_id="svc-b",
    )
    assert only(result, FailureCode.ENV_MISMATCH).message == "svc_id is 'svc-a', expected 'svc-b'"
    assert verify_token(mint(claims={"env": "staging"}), SECRET, now=NOW, expected_env="staging").ok


def test_malformed_input_and_pasted_wrappers() -> None:
    result = verify_token("abc.def", SECRET, now=NOW)
    assert result.codes == {FailureCode.MALFORMED}
    assert "not 3 parts" in result.failures[0].message
    wrapped = verify_token(f"Bearer {mint()}", SECRET, now=NOW)
    assert wrapped.codes == {FailureCode.MALFORMED}
    assert "pass the token alone" in wrapped.failures[0].hint
    bad_exp = mint(claims={"exp": "tomorrow"})
    assert FailureCode.MALFORMED in verify_token(bad_exp, SECRET, now=NOW).codes


def test_every_failure_is_collected_and_explained() -> None:
    token = mint_token(
        "u1",
        key="short",
        now=NOW + 45,
        profile="test",
        claims={"iss": "netra-test", "aud": "netra-api", "token_type": None, "jti": None},
    )
    result = verify_token(token, SECRET, now=NOW, profile="staging")
    assert result.codes == {
        FailureCode.BAD_SIGNATURE,
        FailureCode.MISSING_CLAIM,
        FailureCode.ISSUED_IN_FUTURE,
        FailureCode.WRONG_ISSUER,
        FailureCode.WRONG_AUDIENCE,
        FailureCode.WRONG_TOKEN_TYPE,
    }
    text = result.explain()
    assert text.startswith(f"token {result.fingerprint} REJECTED for staging: 6 problems")
    for failure in result.failures:
        assert failure.message in text and failure.hint in text
    assert token not in text and token not in json.dumps(result.to_dict())
    with pytest.raises(TokenRejected) as info:
        result.raise_for_failures()
    assert len(info.value.failures) == 6 and result.fingerprint in str(info.value)


def test_every_failure_code_is_reachable_in_this_file() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    for code in FailureCode:
        assert f"FailureCode.{code.name}" in source


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_claim_names = st.sampled_from(
    ["sub", "iat", "nbf", "exp", "iss", "aud", "jti", "token_type", "type", "env", "svc_id"]
)


_times = st.integers() | st.floats() | _json


@given(st.fixed_dictionaries({}, optional={"iat": _times, "nbf": _times, "exp": _times}))
def test_verify_never_raises_on_odd_times(times: dict[str, Any]) -> None:
    token = mint_token("u1", key=SECRET, now=NOW, claims=None)
    head, body, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims.update(times)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    result = verify_token(f"{head}.{body}.c2ln", SECRET, now=NOW, leeway=1)
    result.explain()
    json.dumps(result.to_dict(), allow_nan=False)


@given(st.text())
def test_verify_never_raises_on_arbitrary_text(text: str) -> None:
    result = verify_token(text, SECRET, now=NOW)
    assert not result.ok
    result.explain()
    json.dumps(result.to_dict(), allow_nan=False)


@given(
    st.dictionaries(st.sampled_from(["alg", "typ", "kid"]), _json, max_size=3),
    st.dictionaries(_claim_names, _json, max_size=11),
    st.sampled_from(["local", "staging", "production"]),
)
def test_verify_never_raises_on_odd_headers_and_claims(
    header: dict[str, Any], claims: dict[str, Any], profile: str
) -> None:
    header.setdefault("alg", "HS256")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    token = f"{head}.{body}.c2ln"
    result = verify_token(token, SECRET, now=NOW, profile=profile, leeway=5)
    assert not result.ok
    result.explain()
    json.dumps(result.to_dict(), allow_nan=False)


def test_one_algorithm_may_be_given_as_a_string() -> None:
    assert verify_token(mint(), SECRET, algorithms="HS256", now=NOW).ok
    failure = only(
        verify_token(mint(), SECRET, algorithms="HS512", now=NOW), FailureCode.ALG_MISMATCH
    )
    assert failure.message == "alg is 'HS256', but only HS512 is accepted here"


def test_a_token_given_as_bytes_is_decoded() -> None:
    token = mint()
    as_bytes = verify_token(token.encode(), SECRET, now=NOW)
    assert as_bytes.ok
    assert as_bytes.fingerprint == verify_token(token, SECRET, now=NOW).fingerprint
    assert as_bytes.fingerprint.startswith("eyJ…#")


@pytest.mark.parametrize(
    ("token", "key", "algorithms", "message"),
    [
        (
            "tok",
            None,
            "HS256",
            r"^no key given: pass the HMAC secret \(str or bytes\) or a PEM key",
        ),
        ("tok", 123, "HS256", r"^key must be a str or bytes .*, got int$"),
        (None, SECRET, "HS256", r"^token must be a str \(or bytes\), got None$"),
        (123, SECRET, "HS256", r"^token must be a str \(or bytes\), got int$"),
        (
            "tok",
            SECRET,
            256,
            r"^algorithms must be a name like 'HS256' or a list of names, got int$",
        ),
        ("tok", SECRET, ["HS256", None], r"^algorithms must be names like 'HS256', got None"),
    ],
)
def test_arguments_of_the_wrong_type_are_usage_errors(
    token: Any, key: Any, algorithms: Any, message: str
) -> None:
    token = mint() if token == "tok" else token
    with pytest.raises(UsageError, match=message):
        verify_token(token, key, algorithms=algorithms, now=NOW)
