"""A subprotocol entry carrying the token as padded base64url ('='): the token inside is still
read, and a warning says the entry cannot be sent at all (the websockets client refuses it
before connecting, browsers throw), which is why such a suite never reaches the service."""

from __future__ import annotations

import base64
import json
import time

import pytest
from websockets.headers import validate_subprotocols

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture(scope="module")
def token() -> str:
    """A token whose base64url needs padding (its length is not a multiple of 3)."""
    for sub in ("u1", "u12", "u123"):
        minted = mint_token(sub, key=LOCAL_DEV_SECRET, now=time.time())
        if len(minted) % 3:
            return minted
    raise AssertionError("three lengths in a row divisible by 3")


def _padded(token: str) -> str:
    return base64.urlsafe_b64encode(token.encode()).decode()


def test_websockets_itself_refuses_such_an_entry(token: str) -> None:
    with pytest.raises(ValueError, match="invalid subprotocol"):
        validate_subprotocols(["jwt-auth", "jwt." + _padded(token)])


def test_a_padded_entry_is_warned_of(token: str, capsys: pytest.CaptureFixture[str]) -> None:
    padded = _padded(token)
    for pasted in (f"jwt.{padded}", json.dumps(["jwt-auth", f"jwt.{padded}"])):
        assert main(["token", "verify", pasted]) == 0
        out, err = capsys.readouterr()
        assert "is valid for local" in out
        assert "carries '=' padding, which a subprotocol cannot hold" in out + err
        assert "send base64url without padding" in out + err
        assert token not in out + err and padded not in out + err


def test_an_unpadded_entry_is_not(token: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "verify", f"jwt.{_padded(token).rstrip('=')}"]) == 0
    out, err = capsys.readouterr()
    assert "cannot hold" not in out + err
