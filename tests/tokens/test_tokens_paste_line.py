"""A token pasted with the line it was copied from (a .env or shell line, a curl command, a log
line, a trailing comma from code): the one JWT in it is verified, and nothing of it is shown.
Two tokens, one pasted twice or a damaged token are still refused as they were."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture(scope="module")
def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


@pytest.mark.parametrize(
    "line",
    [
        "TOKEN={t}",
        'export JWT_TOKEN="{t}"',
        "curl -H 'Authorization: Bearer {t}' http://127.0.0.1:8000/api/websocket/ticket",
        "2026-12-07 21:14:03 INFO e2e: connecting with token={t} user=u1",
        "{t},",
    ],
)
def test_the_one_jwt_in_a_pasted_line_is_verified(
    line: str, token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["token", "verify", line.format(t=token)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "is valid for local: sub='u1'" in out
    assert "the text around the one JWT in it" in err
    # no known-bad subprotocol warning for a comma copied after the token
    assert "known-bad" not in err
    assert token not in out + err and token.split(".")[2][:12] not in out + err


def test_two_different_tokens_in_a_line_are_not_guessed_between(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = mint_token("u2", key=LOCAL_DEV_SECRET, now=time.time())
    code = main(["token", "verify", f"OLD={token} NEW={other}"])
    out, err = capsys.readouterr()
    assert code == 1 and "REJECTED" in out
    assert "the text around" not in err


def test_a_token_with_characters_run_on_is_still_called_damaged(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["token", "verify", f"TOKEN={token}==="])
    out, _ = capsys.readouterr()
    assert code == 1 and "REJECTED" in out


def test_a_json_object_holding_the_token_under_its_own_key(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    pasted = json.dumps({"user": "u1", "jwtToken": token, "expires": 7200})
    assert main(["token", "verify", pasted]) == 0
    out, err = capsys.readouterr()
    assert "is valid for local: sub='u1'" in out
    assert "a JSON object (the token is its 'jwtToken')" in err
    assert token not in out + err
