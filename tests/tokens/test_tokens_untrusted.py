"""A token's header and claim names and values are anyone's to write; printed raw, a name
with a newline forged report lines and one with a terminal escape recoloured or cleared the
screen. They are JSON-quoted when not printable."""

from __future__ import annotations

from token_testkit import NOW, SECRET

from netra_diag.tokens import inspect_token, mint_token, verify_token

EVIL = "evil\x1b[2J\nstatus  valid"


def test_inspect_quotes_names_that_are_not_printable() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, claims={EVIL: 1}, kid="k")
    text = inspect_token(token, now=NOW).describe()
    assert "\x1b" not in text and "\nstatus  valid" not in text
    assert '"evil\\u001b[2J\\nstatus  valid"' in text


def test_verify_quotes_values_and_names_that_are_not_printable() -> None:
    token = mint_token("u1", key=SECRET, now=NOW, claims={"iss": EVIL, EVIL: 1, "jti": None})
    text = verify_token(token, SECRET, now=NOW).explain()
    assert "\x1b" not in text and "\nstatus  valid" not in text
