"""``netra-diag probe`` options whose value meant something else than the user meant, without
a word: an empty ``--sub``, a ``--token-env`` holding what was copied around the token."""

from __future__ import annotations

import json
import time

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def test_an_empty_sub_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    # '--sub ""' minted a token for probe-user, the default, without a word.
    assert main(["probe", "--sub", ""]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == (
        "netra-diag probe: error: --sub is empty: give the user id to mint the token for"
    )
    assert out == ""


def test_a_token_env_holding_a_header_value_sends_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 'Bearer <jwt>' copied from a request went out as 'Bearer Bearer <jwt>': a 1008 (exit 3)
    # that said nothing of the paste.
    token = mint_token("u9", key=LOCAL_DEV_SECRET, now=time.time())
    monkeypatch.setenv("PASTED", f"Bearer {token}")
    with emulator() as svc:
        code = main(["probe", svc.ws_url("/ws"), "--token-env", "PASTED", "--json"])
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert code == 0, doc
    assert doc["auth"]["validated"] is True and doc["auth"]["server_user_id"] == "u9"
    assert "note: --token-env PASTED: the token was taken out of 'Bearer '" in err
    assert token not in err and token[-12:] not in err


def test_a_token_env_holding_no_token_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PASTED", '["jwt-auth", "jwt"]')
    assert main(["probe", "ws://127.0.0.1:9/ws", "--token-env", "PASTED"]) == 2
    assert capsys.readouterr().err.strip() == (
        "netra-diag probe: error: environment variable PASTED holds no token: a subprotocol "
        'list of names only, ["jwt-auth", "jwt"]'
    )
