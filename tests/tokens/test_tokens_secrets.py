"""PROTOCOL.md §9 category 2, a token signed with JWT_SECRET (what some test helpers read)
verified against JWT_SECRET_KEY (what the service reads). 'Wrong secret' alone left the engineer
guessing which; verify now names the secret at hand the token does verify with, by name only."""

from __future__ import annotations

import time

import pytest
from token_testkit import NOW

from netra_diag.cli import main
from netra_diag.tokens import FailureCode, mint_token, verify_token

SERVICE = "service-secret-read-from-jwt-secret-key-0123"
HELPER = "helper-secret-read-from-jwt-secret-0123456789"


def test_verify_names_the_other_secret_the_token_was_signed_with() -> None:
    token = mint_token("u1", key=HELPER, now=NOW)
    result = verify_token(token, SERVICE, now=NOW, other_secrets={"$JWT_SECRET": HELPER})
    assert [f.code for f in result.failures] == [FailureCode.BAD_SIGNATURE]
    failure = result.failures[0]
    assert failure.message.endswith("it verifies with $JWT_SECRET")
    assert "JWT_SECRET_KEY" in failure.hint and "PROTOCOL.md" in failure.hint
    assert HELPER not in result.explain() and SERVICE not in result.explain()


def test_other_secrets_that_do_not_fit_are_said_to_be_tried() -> None:
    token = mint_token("u1", key="a-third-secret-nobody-has-0123456789", now=NOW)
    result = verify_token(token, SERVICE, now=NOW, other_secrets={"$JWT_SECRET": HELPER})
    assert "does not verify with $JWT_SECRET either" in result.failures[0].hint


@pytest.fixture
def both_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET_DEVELOPMENT", "JWT_SECRET_STAGING", "JWT_SECRET_TEST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JWT_SECRET_KEY", SERVICE)
    monkeypatch.setenv("JWT_SECRET", HELPER)


@pytest.mark.usefixtures("both_secrets")
def test_cli_verify_says_a_helper_token_was_signed_with_jwt_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = mint_token("u1", key=HELPER, now=time.time())
    assert main(["token", "verify", token]) == 1
    out, err = capsys.readouterr()
    assert "it verifies with $JWT_SECRET\n" in out, out
    assert "(key from $JWT_SECRET_KEY)" in out
    for secret in (SERVICE, HELPER, token):
        assert secret not in out + err


@pytest.mark.usefixtures("both_secrets")
def test_cli_verify_with_the_helper_secret_names_the_service_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    token = mint_token("u1", key=SERVICE, now=time.time())
    assert main(["token", "verify", "--secret-env", "JWT_SECRET", token, "--json"]) == 1
    out = capsys.readouterr().out
    assert "it verifies with $JWT_SECRET_KEY" in out and SERVICE not in out


@pytest.mark.parametrize(
    ("signed_with", "given", "said"),
    [
        (SERVICE, SERVICE + "\r", "without its leading/trailing whitespace"),
        (SERVICE + "\n", SERVICE, "plus a trailing newline"),
        (SERVICE + "\r\n", SERVICE, "plus a trailing CR LF"),
    ],
)
def test_a_secret_that_differs_by_a_line_end_is_said_to(
    signed_with: str, given: str, said: str
) -> None:
    token = mint_token("u1", key=signed_with, now=NOW)
    (failure,) = verify_token(token, given, now=NOW).failures
    assert failure.code == FailureCode.BAD_SIGNATURE
    assert said in failure.message and "line end" in failure.hint
    assert SERVICE not in failure.message + failure.hint
