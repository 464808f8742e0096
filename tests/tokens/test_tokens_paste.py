"""What engineers paste from devtools and test logs into ``token inspect/verify``: a whole
subprotocol list (JSON or Python), the ``Sec-WebSocket-Protocol`` header, a URL or query string.
The token inside is found; the known-bad list ``["jwt", "<jwt>"]`` (PROTOCOL.md §9, category 3)
is said to carry no token the service reads, as the service's own extraction agrees."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netra_diag.cli import main
from netra_diag.tokens import (
    LOCAL_DEV_SECRET,
    encode_subprotocol_token,
    extract_from_subprotocols,
    inspect_token,
    mint_token,
    unwrap_token,
)
from netra_diag.tokens.paste import unwrap_paste

TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=1795514400.0)
B64 = encode_subprotocol_token(TOKEN)

CARRIED = [
    f'["jwt-auth", "jwt.{B64}"]',
    f"['jwt-auth', 'jwt-auth.{TOKEN}', 'jwt.{B64}', 'e2e-testing']",
    f"jwt-auth, jwt.{B64}",
    f"Sec-WebSocket-Protocol: jwt-auth, jwt.{B64}",
    f"ws://127.0.0.1:8000/ws?mode=main&token={TOKEN}",
    f"?jwt={TOKEN}",
    f"access_token={TOKEN}",
]
KNOWN_BAD = [
    f'["jwt", "{TOKEN}"]',
    f"['jwt-auth', '{TOKEN}']",
    f"Sec-WebSocket-Protocol: jwt, {TOKEN}",
]


@pytest.mark.parametrize("paste", CARRIED)
def test_the_token_is_found_in_what_carries_it(paste: str) -> None:
    found = unwrap_paste(paste)
    assert found.token == TOKEN and found.stripped and found.warning is None
    assert unwrap_token(paste) == (TOKEN, found.stripped)


@pytest.mark.parametrize("paste", KNOWN_BAD)
def test_a_known_bad_list_is_said_to_carry_no_token_the_service_reads(paste: str) -> None:
    found = unwrap_paste(paste)
    assert found.token == TOKEN
    assert found.warning and "known-bad" in found.warning and "1008" in found.warning
    entries = json.loads(paste) if paste.startswith('["') else None
    if entries is not None:  # the service's own extraction agrees: no token in that list
        assert extract_from_subprotocols(entries).token is None
    inspection = inspect_token(paste, now=1795514400.0)
    assert not inspection.malformed and found.warning in inspection.notes
    assert TOKEN not in found.warning + (found.stripped or "")


def test_a_bare_token_alone_in_a_list_is_refused_with_1003() -> None:
    found = unwrap_paste(f'["{TOKEN}"]')
    assert found.token == TOKEN and found.warning and "1003" in found.warning
    assert extract_from_subprotocols([TOKEN]).unsupported


def test_a_list_of_names_only_says_it_holds_no_token() -> None:
    found = unwrap_paste('["jwt-auth", "e2e-testing"]')
    assert found.token == "" and found.stripped and "names only" in found.stripped


def test_cli_verify_warns_under_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())
    assert main(["token", "verify", f'["jwt", "{token}"]']) == 0
    out, err = capsys.readouterr()
    assert "is valid for local" in out and "warning: the paste is the known-bad" in out, out
    assert token not in out + err
    assert main(["token", "verify", "--json", f"Sec-WebSocket-Protocol: jwt, {token}"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and "known-bad" in data["input_warning"] and data["unwrapped"]


def test_a_token_wrapped_across_lines_is_rejoined() -> None:
    wrapped = "\n".join(TOKEN[i : i + 60] for i in range(0, len(TOKEN), 60))
    found = unwrap_paste(wrapped)
    assert found.token == TOKEN and found.stripped and "wrapped" in found.stripped


def test_two_tokens_on_two_lines_are_not_joined() -> None:
    found = unwrap_paste(f"{TOKEN}\n{TOKEN}")
    assert found.token == f"{TOKEN}\n{TOKEN}"
    problems = inspect_token(f"{TOKEN}\n{TOKEN}", now=1795514400.0).problems
    assert "2 lines with whitespace inside" in problems[0]


def test_a_pasted_login_response_gives_up_its_access_token() -> None:
    pasted = json.dumps({"refresh_token": "r.e.f", "access_token": TOKEN, "token_type": "bearer"})
    found = unwrap_paste(pasted)
    assert found.token == TOKEN and found.stripped and "'access_token'" in found.stripped


def test_a_json_object_without_a_token_says_so() -> None:
    found = unwrap_paste('{"user": "u1", "ok": true}')
    assert found.token == "" and found.stripped and '"user", "ok"' in found.stripped


@pytest.mark.parametrize(
    "paste", ["[{[]: 1}]", "[{{}: 1}]", '{"a": {"b": [}', "[" * 3000 + "]" * 3000]
)
def test_odd_brackets_never_raise(paste: str) -> None:
    assert inspect_token(paste, now=1795514400.0).malformed


@given(st.text(alphabet="[]{}(),:'\"ajwt.=?&eyJ0 \n", max_size=40))
def test_unwrap_never_raises(text: str) -> None:
    unwrap_paste(text)
    inspect_token(text, now=1795514400.0)
