from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from token_testkit import NOW, SECRET

from netra_diag.errors import MalformedToken, UsageError
from netra_diag.tokens import encode_subprotocol_token, inspect_token, mint_token


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _part(obj: object) -> str:
    return _b64(json.dumps(obj).encode())


HEADER = _part({"alg": "HS256", "typ": "JWT"})
PAYLOAD = _part({"sub": "u1", "exp": 1})
NOT_UTF8 = _b64(b"\xff\xfe")


@pytest.fixture
def token() -> str:
    return mint_token("u1", key=SECRET, now=NOW, ttl="15m")


def test_describe_a_live_token(token: str) -> None:
    seen = inspect_token(token, now=NOW + 650)  # 10m 50s in: 4m 10s left
    assert not seen.malformed and seen.problems == ()
    assert seen.expires_in_s == 250
    assert seen.status == "expires in 4m 10s"
    text = seen.describe()
    assert "expires in 4m 10s" in text
    assert "2026-11-24T10:15:00Z (in 4m 10s)" in text
    assert "2026-11-24T10:00:00Z (10m 50s ago)" in text
    assert "lifetime 15m = the production access lifetime" in text
    assert token not in text
    assert seen.fingerprint in text
    assert seen.claims is not None and seen.claims["sub"] == "u1"
    assert seen.algorithm == "HS256" and seen.signature_bytes == 32


def test_expired_token(token: str) -> None:
    seen = inspect_token(token, now=NOW + 900 + 192)
    assert seen.status == "expired 3m 12s ago"
    assert seen.expires_in_s == -192
    assert not seen.malformed


def test_to_dict_is_json_and_has_no_token(token: str) -> None:
    data = inspect_token(token, now=NOW).to_dict()
    text = json.dumps(data)
    assert token not in text
    assert data["times"]["exp"]["utc"] == "2026-11-24T10:15:00Z"
    assert data["times"]["exp"]["relative"] == "in 15m"
    assert data["claims"]["iss"] == "netra-auth-service"
    assert data["malformed"] is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty input"),
        ("   ", "empty input"),
        ("abc", "not 3 parts: found 1"),
        (f"{HEADER}.{PAYLOAD}", "not 3 parts: found 2"),
        (f"{HEADER}.{PAYLOAD}.sig.x", "not 3 parts: found 4"),
        (f"{HEADER}.{PAYLOAD}.a.b.c", "encrypted JWE"),
        (f"{HEADER}.e!!.sig", "part 2 (payload): bad base64url: character '!' at offset 1"),
        (f"{HEADER}.{PAYLOAD}.si+g", "part 3 (signature): bad base64url: character '+'"),
        (f"{HEADER}.{PAYLOAD}.si+g", "standard base64, not base64url"),
        (f"{HEADER}.abcde.sig", "part 2 (payload): bad base64url: length 5"),
        (f"{_b64(b'not json')}.{PAYLOAD}.sig", "part 1 (header): not JSON"),
        (
            f"{HEADER}.{_part([1, 2])}.sig",
            "part 2 (payload): JSON but not an object (it is a list)",
        ),
        (f"{NOT_UTF8}.{PAYLOAD}.sig", "part 1 (header): decodes to bytes that are not UTF-8"),
        (f"{_part({'typ': 'JWT'})}.{PAYLOAD}.sig", "no 'alg' field"),
        (f"{_part({'alg': 5})}.{PAYLOAD}.sig", "'alg' must be a string"),
        (f".{PAYLOAD}.sig", "part 1 (header) is empty"),
        (f"{HEADER}.{PAYLOAD}.sig===", "'=' padding"),
    ],
)
def test_malformed_inputs_say_which_part_and_why(text: str, expected: str) -> None:
    seen = inspect_token(text, now=NOW)
    assert seen.malformed
    assert any(expected in p for p in seen.problems), seen.problems
    assert seen.describe()  # still describable
    json.dumps(seen.to_dict())
    with pytest.raises(MalformedToken):
        seen.raise_if_malformed()


def test_readable_parts_survive_a_broken_one() -> None:
    seen = inspect_token(f"{HEADER}.{PAYLOAD}.si+g", now=NOW)
    assert seen.header == {"alg": "HS256", "typ": "JWT"}
    assert seen.claims == {"sub": "u1", "exp": 1}


@pytest.mark.parametrize(
    ("wrap", "what"),
    [
        (lambda t: f"Bearer {t}", "Bearer"),
        (lambda t: f'  "{t}"\n', "quotes"),
        (lambda t: f"jwt.{encode_subprotocol_token(t)}", "subprotocol prefix 'jwt.'"),
        (lambda t: f"jwt-auth.{t}", "subprotocol prefix 'jwt-auth.'"),
        (encode_subprotocol_token, "base64url encoding"),
    ],
)
def test_pasted_wrappers_are_stripped(token: str, wrap: object, what: str) -> None:
    seen = inspect_token(wrap(token), now=NOW)  # type: ignore[operator]
    assert not seen.malformed, seen.problems
    assert seen.unwrapped is not None and what in seen.unwrapped
    assert seen.claims is not None and seen.claims["sub"] == "u1"


def test_notes_for_suspicious_but_parseable_tokens() -> None:
    unsigned = mint_token("u1", key="", now=NOW, algorithm="none")
    assert any("alg is 'none'" in n for n in inspect_token(unsigned, now=NOW).notes)
    drift = mint_token("u1", key=SECRET, now=NOW, claims={"token_type": None})
    assert any("type is set but token_type" in n for n in inspect_token(drift, now=NOW).notes)
    odd = f"{HEADER}.{_part({'sub': 'u', 'exp': 'tomorrow'})}.{_b64(b'x' * 32)}"
    seen = inspect_token(odd, now=NOW)
    assert any("not a NumericDate" in n for n in seen.notes)
    assert seen.expires_in_s is None and "no usable exp" in seen.status
    truncated = mint_token("u1", key=SECRET, now=NOW)[:-4]
    assert any("truncated" in n for n in inspect_token(truncated, now=NOW).notes)


def test_huge_and_odd_numbers_do_not_crash() -> None:
    payload = _part({"sub": "u", "iat": 10**400, "exp": 1e308, "nbf": -1e308})
    seen = inspect_token(f"{HEADER}.{payload}.", now=NOW)
    assert "not a representable time" in seen.describe()
    json.dumps(seen.to_dict())
    extreme = _part({"iat": -1.7e308, "exp": 1.7e308})  # lifetime overflows to infinity
    json.dumps(inspect_token(f"{HEADER}.{extreme}.", now=NOW).to_dict(), allow_nan=False)
    assert "∞" in inspect_token(f"{HEADER}.{extreme}.", now=NOW).describe()
    nan_payload = _b64(b'{"sub": "u", "exp": NaN}')
    json.dumps(inspect_token(f"{HEADER}.{nan_payload}.", now=NOW).to_dict(), allow_nan=False)


@given(st.text())
def test_inspect_never_raises_on_arbitrary_text(text: str) -> None:
    seen = inspect_token(text, now=NOW)
    seen.describe()
    json.dumps(seen.to_dict())


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(_json, _json, st.binary(max_size=40))
def test_inspect_never_raises_on_structured_junk(
    header: object, claims: object, sig: bytes
) -> None:
    text = f"{_part(header)}.{_part(claims)}.{_b64(sig)}"
    seen = inspect_token(text, now=NOW)
    seen.describe()
    json.dumps(seen.to_dict())


def test_bytes_are_inspected_as_the_text_they_encode(token: str) -> None:
    as_bytes = inspect_token(token.encode(), now=NOW)
    assert as_bytes.fingerprint == inspect_token(token, now=NOW).fingerprint
    assert as_bytes.problems == () and as_bytes.claims is not None


@pytest.mark.parametrize("value", [None, 123, ["eyJ"]])
def test_what_is_not_text_is_a_usage_error_not_a_token(value: object) -> None:
    with pytest.raises(UsageError, match=r"^token must be a str \(or bytes\), got "):
        inspect_token(value, now=NOW)  # type: ignore[arg-type]
