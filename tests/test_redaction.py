from __future__ import annotations

import base64

from hypothesis import given
from hypothesis import strategies as st

from netra_diag.redaction import fingerprint, scrub, scrub_obj
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)


def test_fingerprint_is_short_stable_and_hides_the_token() -> None:
    fp = fingerprint(TOKEN)
    assert fp.startswith("eyJ…#") and len(fp) == len("eyJ…#") + 8
    assert fp == fingerprint(TOKEN) and TOKEN not in fp


def test_scrub_replaces_raw_and_base64url_tokens_and_secrets() -> None:
    b64 = base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("=")
    text = f"Authorization: Bearer {TOKEN}; proto jwt.{b64}; secret hunter2-long"
    out = scrub(text, secrets=["hunter2-long"])
    assert TOKEN not in out and b64 not in out and "hunter2-long" not in out
    assert fingerprint(TOKEN) in out


def test_scrub_obj_walks_structures() -> None:
    out = scrub_obj({"a": [TOKEN, {"b": TOKEN}], "n": 1})
    assert TOKEN not in repr(out) and out["n"] == 1


@given(st.text())
def test_scrub_never_raises_and_leaves_no_token(prefix: str) -> None:
    assert TOKEN not in scrub(prefix + TOKEN + prefix)


def test_a_secrets_fingerprint_shows_none_of_its_characters() -> None:
    # A JWT opens with "eyJ" whatever it holds; a signing secret's opening is part of it.
    secret = "brown-fox-signing-secret-of-32-chars!"
    shown = fingerprint(secret)
    assert shown.startswith("…#") and len(shown) == 10 and "bro" not in shown
    assert fingerprint("ZXlKaGJHY2lPaUpJVXpJMU5pSjk").startswith("ZXl…#")


def test_a_token_cut_by_a_repr_is_hidden_on_both_sides_of_the_cut() -> None:
    # pytest's assertion output shortens a long string in the middle: "'eyJhbGciOiJI...<the
    # signature's last 13 characters>'"; the tail gave part of the signature away.
    import time

    from _pytest._io.saferepr import saferepr

    from netra_diag.redaction import scrub
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=time.time())
    signature = token.rsplit(".", 1)[1]
    for shown in (
        f"assert {saferepr(token, maxsize=30)} == ''",  # 'eyJhbGciOiJI...<tail>'
        saferepr(token),  # cut inside the payload: the rest of it and the signature after
        f"assert '{token[:12]}...{token[-9:]}...",  # a cut of a cut (pytest's short summary)
    ):
        assert "..." in shown
        out = scrub(shown)
        assert "eyJ…#" in out, out
        assert signature[-6:] not in out and token[12:20] not in out, out
