from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from token_testkit import NOW, SECRET

from netra_diag.errors import UsageError
from netra_diag.tokens import (
    GOLDEN_PATH,
    KNOWN_BAD_FORMATS,
    TEST_HELPER,
    Handshake,
    Transport,
    build_bad_handshake,
    build_handshake,
    encode_subprotocol_token,
    extract_from_header,
    extract_from_query,
    extract_from_subprotocols,
    mint_token,
)

URL = "ws://127.0.0.1:8000/ws"


@pytest.fixture
def token() -> str:
    return mint_token("u1", key=SECRET, now=NOW)


def _server_side(h: Handshake) -> str | None:
    """Where the service finds the token, in its order (PROTOCOL.md §2)."""
    return (
        extract_from_header(h.headers.get("Authorization"))
        or extract_from_subprotocols(h.subprotocols).token
        or extract_from_query(urlsplit(h.url).query)[0]
    )


# --- client half -------------------------------------------------------------------------------


def test_golden_path_and_test_helper_formats(token: str) -> None:
    b64 = encode_subprotocol_token(token)
    assert "=" not in b64
    assert GOLDEN_PATH(token) == ("jwt-auth", f"jwt.{b64}")
    assert TEST_HELPER(token) == ("jwt-auth", f"jwt-auth.{token}", f"jwt.{b64}", "e2e-testing")
    assert build_handshake(URL, token, Transport.SUBPROTOCOL).subprotocols == GOLDEN_PATH(token)
    assert build_handshake(URL, token, "test-helper").subprotocols == TEST_HELPER(token)


@pytest.mark.parametrize("transport", [t for t in Transport if t is not Transport.NONE])
def test_every_transport_reaches_the_server_side(token: str, transport: Transport) -> None:
    shake = build_handshake(URL, token, transport)
    assert shake.transport == transport.value
    assert _server_side(shake) == token
    assert shake.description


def test_transport_shapes(token: str) -> None:
    header = build_handshake(URL, token, "header")
    assert header.headers == {"Authorization": f"Bearer {token}"} and header.subprotocols == ()
    assert build_handshake(URL, token, "subprotocol-raw").subprotocols == (
        "jwt-auth",
        f"jwt.{token}",
    )
    assert build_handshake(URL, token, "bearer").subprotocols == (
        f"bearer.{encode_subprotocol_token(token)}",
    )
    prefixed = build_handshake(URL, token, "subprotocol", prefix="staging-auth", encoding="raw")
    assert prefixed.subprotocols == ("jwt-auth", f"staging-auth.{token}")
    query = build_handshake(URL + "?mode=main", token, "query", query_param="access_token")
    assert parse_qs(urlsplit(query.url).query) == {"mode": ["main"], "access_token": [token]}
    none = build_handshake(URL, "", "none")
    assert none.url == URL and none.headers == {} and none.subprotocols == ()
    assert "1008" in none.expected


@pytest.mark.parametrize("name", list(KNOWN_BAD_FORMATS))
def test_known_bad_formats(token: str, name: str) -> None:
    shake = build_bad_handshake(URL, token, name)
    expected = {
        "jwt-bare": ("jwt", token),
        "jwt-auth-bare": ("jwt-auth", token),
        "no-token": (),
        "unsupported-subprotocol": ("chat-v9",),
    }[name]
    assert shake.subprotocols == expected
    assert shake.headers == {} and shake.url == URL
    assert _server_side(shake) is None  # the service finds no token in any of them
    choice = extract_from_subprotocols(shake.subprotocols)
    assert choice.unsupported is (name == "unsupported-subprotocol")
    assert ("1003" in shake.expected) is (name == "unsupported-subprotocol")


@pytest.mark.parametrize("transport", list(Transport))
def test_redacted_and_repr_hold_no_token(token: str, transport: Transport) -> None:
    shake = build_handshake(URL, token, transport)
    for text in (json.dumps(shake.redacted(), ensure_ascii=False), repr(shake), str(shake)):
        assert token not in text
        assert encode_subprotocol_token(token) not in text
    if transport is not Transport.NONE:
        assert shake.token_fingerprint in json.dumps(shake.redacted(), ensure_ascii=False)


def test_bad_arguments_are_usage_errors(token: str) -> None:
    with pytest.raises(UsageError, match="unknown transport 'carrier-pigeon'; valid: header"):
        build_handshake(URL, token, "carrier-pigeon")
    with pytest.raises(UsageError, match="ws:// or wss://"):
        build_handshake("http://127.0.0.1:8000/ws", token, "header")
    with pytest.raises(UsageError, match="no token"):
        build_handshake(URL, "", "header")
    with pytest.raises(UsageError, match="unknown encoding"):
        build_handshake(URL, token, "subprotocol", encoding="hex")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="valid: jwt-bare"):
        build_bad_handshake(URL, token, "nope")


# --- server half -------------------------------------------------------------------------------


def test_golden_path_selection_echoes_the_exact_entry(token: str) -> None:
    offered = GOLDEN_PATH(token)
    choice = extract_from_subprotocols(offered)
    assert choice.token == token and choice.decoded_from_base64
    assert choice.selected == choice.entry == offered[1]
    assert choice.prefix == "jwt" and not choice.unsupported
    assert token not in repr(choice)


def test_test_helper_selects_the_first_token_bearing_entry(token: str) -> None:
    choice = extract_from_subprotocols(TEST_HELPER(token))
    assert choice.selected == f"jwt-auth.{token}"
    assert choice.token == token and not choice.decoded_from_base64


@pytest.mark.parametrize("prefix", ["jwt", "jwt-auth", "bearer", "staging-auth"])
@pytest.mark.parametrize("encoded", [True, False])
def test_every_prefix_raw_or_encoded(token: str, prefix: str, encoded: bool) -> None:
    value = encode_subprotocol_token(token) if encoded else token
    choice = extract_from_subprotocols(["agent_chat", f"{prefix}.{value}"])
    assert choice.token == token and choice.decoded_from_base64 is encoded
    assert choice.selected == f"{prefix}.{value}"


@pytest.mark.parametrize("pad", range(3))
def test_base64_padding_edge_cases(pad: int) -> None:
    # Tokens whose length mod 3 is 0, 1, 2 give unpadded base64 lengths mod 4 of 0, 2, 3.
    tokens = (mint_token("u" * n, key=SECRET, now=NOW) for n in range(1, 12))
    token = next(t for t in tokens if len(t) % 3 == pad)
    unpadded = encode_subprotocol_token(token)
    padded = base64.urlsafe_b64encode(token.encode()).decode()
    assert len(unpadded) % 4 == (0, 2, 3)[pad]
    for value in (unpadded, padded):
        choice = extract_from_subprotocols([f"jwt.{value}"])
        assert choice.token == token and choice.decoded_from_base64


def test_base64_that_is_not_a_jwt_is_used_raw() -> None:
    value = encode_subprotocol_token("just some text without dots")
    choice = extract_from_subprotocols([f"jwt.{value}"])
    assert choice.token == value and not choice.decoded_from_base64


def test_values_under_ten_characters_are_ignored(token: str) -> None:
    choice = extract_from_subprotocols(["jwt.short", "jwt.123456789", f"bearer.{token}"])
    assert choice.token == token and choice.selected == f"bearer.{token}"
    assert choice.ignored == ("jwt.short", "jwt.123456789")
    assert extract_from_subprotocols(["jwt.1234567890"]).token == "1234567890"
    only_short = extract_from_subprotocols(["jwt.abc"])
    assert only_short.selected is None and only_short.unsupported


@pytest.mark.parametrize(
    ("offered", "selected"),
    [
        (["e2e-testing", "jwt", "jwt-auth"], "jwt-auth"),
        (["agent_chat", "bearer"], "bearer"),
        (["agent_chat", "staging-auth"], "staging-auth"),
        (["chat-v9", "agent_chat"], "agent_chat"),
        ("chat-v9, e2e-testing", "e2e-testing"),  # the raw header value
    ],
)
def test_plain_names_in_service_preference_order(offered: list[str] | str, selected: str) -> None:
    choice = extract_from_subprotocols(offered)
    assert choice.selected == selected and choice.token is None and not choice.unsupported


def test_nothing_offered_vs_nothing_supported() -> None:
    assert extract_from_subprotocols([]).unsupported is False
    assert extract_from_subprotocols(None).selected is None
    assert extract_from_subprotocols(["chat-v9", "graphql-ws"]).unsupported is True


def test_header_extraction(token: str) -> None:
    assert extract_from_header(f"Bearer {token}") == token
    assert extract_from_header(f"bearer   {token} ") == token
    assert extract_from_header(f"Basic {token}") is None
    assert extract_from_header("Bearer ") is None
    assert extract_from_header(None) is None


def test_query_extraction(token: str) -> None:
    assert extract_from_query(f"token={token}") == (token, "token")
    assert extract_from_query(f"?mode=main&auth_token={token}") == (token, "auth_token")
    assert extract_from_query(f"ws://h/ws?access_token={token}&jwt=other") == ("other", "jwt")
    assert extract_from_query({"access_token": token}) == (token, "access_token")
    assert extract_from_query({"token": ["", token]}) == (token, "token")
    assert extract_from_query("ws://h/ws") == (None, None)
    assert extract_from_query("ticket=abc") == (None, None)
    assert extract_from_query(None) == (None, None)


@given(st.lists(st.text(max_size=60), max_size=6))
def test_subprotocol_extraction_never_raises(offered: list[str]) -> None:
    choice = extract_from_subprotocols(offered)
    assert choice.selected is None or choice.selected in [o.strip() for o in offered]
    repr(choice)


@given(st.text(max_size=200))
def test_header_and_query_extraction_never_raise(text: str) -> None:
    extract_from_subprotocols(text)
    extract_from_header(text)
    extract_from_query(text)
    extract_from_query({"token": text})


# --- what the server will do with a handshake -------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "authenticated"),
    [
        ({"transport": "query"}, True),
        ({"transport": "query", "query_param": "access_token"}, True),
        ({"transport": "query", "query_param": "foo"}, False),
        ({"transport": "subprotocol"}, True),
        ({"transport": "subprotocol", "prefix": "staging-auth"}, True),
        ({"transport": "subprotocol", "prefix": "foo"}, False),
        ({"transport": "subprotocol-raw", "prefix": "foo"}, False),
        ({"transport": "header", "prefix": "foo"}, True),  # the prefix shapes subprotocols only
        ({"transport": "bearer"}, True),
    ],
)
def test_expected_follows_where_the_server_reads_a_token(
    token: str, kwargs: dict[str, str], authenticated: bool
) -> None:
    """'authenticated' exactly when the server's side finds the token (PROTOCOL.md §2)."""
    shake = build_handshake(URL, token, **kwargs)  # type: ignore[arg-type]
    assert (_server_side(shake) == token) is authenticated
    expected = shake.redacted()["expected"]
    assert expected.startswith("authenticated") is authenticated
    if not authenticated:
        assert "no token reaches it" in expected and "1008" in expected
        assert "foo" in expected


@pytest.mark.parametrize("bad", ["garbage", "a.b", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1"])
def test_a_malformed_token_is_expected_to_be_rejected(bad: str) -> None:
    for transport in ("header", "subprotocol", "query", "test-helper"):
        expected = build_handshake(URL, bad, transport).redacted()["expected"]
        assert expected.startswith("rejected under strict auth"), (transport, expected)
        assert "malformed" in expected or "under 10 characters" in expected


def test_a_well_formed_token_is_expected_to_authenticate(token: str) -> None:
    assert build_handshake(URL, token, "header").expectation().startswith("authenticated")
