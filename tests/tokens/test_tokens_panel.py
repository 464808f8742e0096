"""The token panel as an engineer uses it: what they paste is what they copied (a
'Bearer …' header value, a subprotocol entry, the known-bad list), and the panel must read it as
Inspect and the CLI do, and show the notes the claims table cannot (alg none, the paste's
format, the secret the token was really signed with)."""

from __future__ import annotations

import pytest

from netra_diag.errors import UsageError
from netra_diag.redaction import JWT_PATTERN
from netra_diag.tokens import LOCAL_DEV_SECRET, encode_subprotocol_token, mint_token
from netra_diag.widgets import TokenPanel

NOW = 1_764_028_800.0
SERVICE = "service-secret-read-from-jwt-secret-key-0123"
HELPER = "helper-secret-read-from-jwt-secret-0123456789"


def good() -> str:
    return mint_token("bob", key=LOCAL_DEV_SECRET, now=NOW - 60)


@pytest.mark.parametrize(
    "shape",
    ["Bearer {t}", "jwt.{b}", "jwt-auth.{t}", '"{t}"', '["jwt-auth", "jwt.{b}"]'],
)
def test_verify_reads_a_token_pasted_with_what_carried_it(shape: str) -> None:
    token = good()
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.pasted.value = shape.format(t=token, b=encode_subprotocol_token(token))
    panel.verify_button.click()
    assert panel.verdict.value == "valid", panel.explanation.value
    assert "note:</i> stripped" in panel.explanation.value
    assert not JWT_PATTERN.search(panel.explanation.value)


def test_the_panel_shows_the_notes_of_a_known_bad_list_and_alg_none() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.pasted.value = f'["jwt", "{good()}"]'
    panel.inspect_button.click()
    assert "known-bad subprotocol format" in panel.explanation.value
    panel.pasted.value = mint_token("bob", key="", now=NOW, algorithm="none")
    panel.verify_button.click()
    assert panel.verdict.value == "rejected"
    assert "alg is &#x27;none&#x27;: the token is unsigned" in panel.explanation.value


def test_verify_names_the_secret_the_token_was_signed_with() -> None:
    environ = {"JWT_SECRET_KEY": SERVICE, "JWT_SECRET": HELPER}
    panel = TokenPanel(profile="staging", environ=environ, clock=lambda: NOW)
    panel.pasted.value = mint_token("bob", key=HELPER, now=NOW, profile="staging")
    panel.verify_button.click()
    assert panel.verdict.value == "rejected"
    assert "it verifies with $JWT_SECRET\n" in panel.explanation.value
    assert HELPER not in panel.explanation.value and SERVICE not in panel.explanation.value


def test_the_panel_takes_the_profile_aliases_the_cli_takes() -> None:
    assert TokenPanel(profile="stg", environ={}).profile.value == "staging"
    with pytest.raises(UsageError, match=r"profile: unknown token profile 'bogus'; valid"):
        TokenPanel(profile="bogus", environ={})


def test_minting_a_token_the_service_refuses_says_so() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.claims.value = '{"iss": "netra-test"}'
    assert panel.mint() is not None
    assert panel.verdict.value == "minted"
    assert panel.mint_warning.startswith("the local service would reject this token (wrong_issuer)")
    assert "warning: the local service would reject" in panel.explanation.value
    panel.claims.value = "{}"
    panel.mint()
    assert panel.mint_warning == "" and "warning" not in panel.explanation.value
