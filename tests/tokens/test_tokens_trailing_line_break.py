"""A token given with a line break after it (``"<jwt>\\n"``, an environment variable filled
from a file, a paste into the token widget): ``inspect_token`` took the break off without a word
(``notes: []``), while the service refuses the token sent with it ('part 3 (signature): bad
base64url: character U+000A'). It is now said, as quotes and 'Bearer ' are."""

from __future__ import annotations

import json
import time

import pytest

from netra_diag.tokens import LOCAL_DEV_SECRET, inspect_token, mint_token, verify_token

NOW = time.time()


@pytest.fixture(scope="module")
def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=NOW)


@pytest.mark.parametrize(
    ("ending", "char"), [("\n", "U+000A"), ("\r\n", "U+000D"), ("\r", "U+000D")]
)
def test_a_trailing_line_break_is_noted(token: str, ending: str, char: str) -> None:
    seen = inspect_token(token + ending, now=NOW).to_dict()
    assert not seen["malformed"]
    assert seen["unwrapped"] == f"a trailing line break ({json.dumps(ending)})"
    [note] = [n for n in seen["notes"] if "line break" in n]
    assert "a client that sends the token with it is refused" in note
    assert f"bad base64url: character {char}" in note
    assert token not in json.dumps(seen)


def test_with_quotes_both_are_said(token: str) -> None:
    seen = inspect_token(f'"{token}"\n', now=NOW)
    assert seen.unwrapped == 'quotes, a trailing line break ("\\n")'
    assert "(stripped quotes, a trailing line break" in seen.describe()


def test_no_line_break_no_note(token: str) -> None:
    seen = inspect_token(token, now=NOW)
    assert seen.unwrapped is None
    assert not [n for n in seen.notes if "line break" in n]


def test_a_multi_line_paste_is_not_a_trailing_line_break(token: str) -> None:
    # A JSON login response copied over several lines: its breaks were never the token's.
    paste = json.dumps({"access_token": token}, indent=2) + "\n"
    seen = inspect_token(paste, now=NOW)
    assert seen.unwrapped is not None and "line break" not in seen.unwrapped
    assert not [n for n in seen.notes if "line break" in n]


def test_verify_says_what_to_take_off(token: str) -> None:
    """``verify_token`` refuses the token with its break, as the service does, and now names
    the break instead of 'check the token was copied whole'."""
    result = verify_token(token + "\n", LOCAL_DEV_SECRET, now=NOW)
    assert not result.ok
    assert "character U+000A" in result.failures[0].message
    assert result.failures[0].hint == (
        'the input has a trailing line break ("\\n") around it: pass the token alone'
    )
