"""A token cut short (or with characters added) when copied is said to be that, not a wrong
secret: no key verifies a signature of the wrong size, and the JWT_SECRET hint sent engineers
after the wrong problem."""

from __future__ import annotations

import pytest
from token_testkit import NOW, SECRET

from netra_diag.cli import main
from netra_diag.tokens import FailureCode, mint_token, verify_token


def mint() -> str:
    return mint_token("u1", key=SECRET, now=NOW)


@pytest.mark.parametrize("damage", [lambda t: t[:-5], lambda t: t[:-1], lambda t: t + "AAAA"])
def test_a_damaged_signature_is_malformed_not_a_wrong_secret(damage: object) -> None:
    token = damage(mint())  # type: ignore[operator]
    result = verify_token(token, SECRET, now=NOW)
    assert [f.code for f in result.failures] == [FailureCode.MALFORMED], result.explain()
    failure = result.failures[0]
    assert "HS256 makes 32" in failure.message and "copied" in failure.message
    assert "JWT_SECRET" not in result.explain()


def test_an_empty_signature_under_hs256_is_said_to_be_unsigned() -> None:
    head, payload, _ = mint().split(".")
    result = verify_token(f"{head}.{payload}.", SECRET, now=NOW)
    assert [f.code for f in result.failures] == [FailureCode.MALFORMED]
    assert "unsigned" in result.failures[0].message


def test_a_whole_token_with_another_secret_is_still_a_bad_signature() -> None:
    result = verify_token(mint(), SECRET + "x", now=NOW)
    assert [f.code for f in result.failures] == [FailureCode.BAD_SIGNATURE]


def test_cli_verify_of_a_truncated_paste(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET_KEY", SECRET)
    token = mint_token("u1", key=SECRET, now=__import__("time").time())
    assert main(["token", "verify", token[:-3]]) == 1
    out = capsys.readouterr().out
    assert "[malformed] signature is" in out and "bad_signature" not in out, out
