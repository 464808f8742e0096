"""Feeding ``netra-diag token inspect/verify/handshake`` what a paste can hold: '@'
followed by a pasted token was read as '@FILE' and the error printed the whole token; a NUL in
it was a ValueError traceback; a token holding bytes that are not UTF-8 (argv's surrogates) was
a UnicodeEncodeError traceback in handshake. Each is now a usage error or a malformed verdict."""

from __future__ import annotations

import random
import time

import pytest

from netra_diag.cli import main
from netra_diag.errors import UsageError
from netra_diag.tokens import (
    LOCAL_DEV_SECRET,
    build_handshake,
    encode_subprotocol_token,
    mint_token,
)

TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["token", *argv])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("action", ["inspect", "verify", "handshake"])
def test_an_at_sign_before_a_pasted_token_shows_no_token(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(capsys, action, f"@Bearer {TOKEN}")
    assert code == 2 and "cannot read the token file" in text
    assert TOKEN not in text


@pytest.mark.parametrize("action", ["inspect", "verify"])
def test_a_nul_in_a_file_name_is_a_usage_error(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(capsys, action, '@\x00".:')
    assert code == 2 and "embedded null byte" in text


@pytest.mark.parametrize("token", ["\udcff'./", "\ud800 jwt.", f"{TOKEN}\udcff"])
def test_a_token_that_is_not_text_cannot_travel_in_a_handshake(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(capsys, "handshake", token)
    assert code == 2 and "the token cannot travel in a handshake" in text
    assert TOKEN not in text
    with pytest.raises(UsageError, match="binary data, not a token"):
        build_handshake("ws://127.0.0.1:1/ws", token, "header")


PIECES = [TOKEN, encode_subprotocol_token(TOKEN), "Bearer ", "jwt.", "[", "]", "{", "}", '"']
PIECES += ["'", ",", "?token=", "&", "=", "\n", " ", "\x00", "\x1b", "\ufeff", "\u201c", "\u201d"]
PIECES += ["access_token", ":", "Authorization:", "eyJ", ".", "ZXlK", "\udcff", "@", "/", "é"]


def test_pastes_never_crash_or_leak(capsys: pytest.CaptureFixture[str]) -> None:
    pick = random.Random(7)
    for _ in range(150):
        paste = "".join(pick.choice(PIECES) for _ in range(pick.randint(1, 6)))
        for action in ("inspect", "verify", "handshake"):
            code, text = run(capsys, action, "--", paste)
            assert code in (0, 1, 2), (action, paste)
            assert TOKEN not in text, (action, paste)
