"""A token pasted where a name goes (the notebook, a parameter's key, --out) is said in one line
with the token as its fingerprint: it was a traceback ('File name too long') that printed the
whole token, or an error that quoted it whole."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.redaction import fingerprint
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{token}"],
        ["report", "token_lab", "-p", "{token}", "1"],
        ["report", "token_lab", "--out", "{tmp}/{token}/x"],
        ["demo", "--out", "{tmp}/{token}/x"],
    ],
)
def test_a_pasted_token_is_refused_without_showing_it(
    argv: list[str], tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # Long enough claims that the token cannot be a file name (255 bytes).
    claims = {"note": "x" * 200}
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time(), claims=claims)
    code = main([a.format(token=token, tmp=tmp_path) for a in argv])
    captured = capsys.readouterr()
    assert code == 2
    assert token not in captured.out + captured.err
    assert token.split(".")[1][:30] not in captured.out + captured.err
    assert fingerprint(token) in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{secret}"],
        ["report", "token_lab", "-p", "{secret}", "1"],
        ["report", "token_lab", "--out", "{tmp}/{secret}"],
        ["demo", "--out", "{tmp}/{secret}/x"],
    ],
)
def test_a_secret_value_given_for_a_name_is_refused_without_showing_it(
    argv: list[str],
    tmp_path: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = f"qa-signing-secret-{time.time_ns()}"
    monkeypatch.setenv("JWT_SECRET_KEY", secret)
    code = main([a.format(secret=secret, tmp=tmp_path) for a in argv])
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert secret not in captured.out + captured.err
    assert fingerprint(secret) in captured.err
