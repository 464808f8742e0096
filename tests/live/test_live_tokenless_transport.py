"""``probe --transport none`` (or ``bad:no-token``) sends no token, so the verdict must not
compare the server's user with the sub of a token that was minted but never sent, nor say how
long that token 'was still valid' at the close."""

from __future__ import annotations

import json

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


@pytest.mark.parametrize("transport", ["none", "bad:no-token"])
def test_a_tokenless_transport_names_no_token(
    transport: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["probe", "--auth", "demo", "--time-scale", "0", "--sub", "u1", "--transport", transport]
    code = main([*argv, "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == ExitCode.CONTRACT  # demo auth let it in: a bypass
    assert doc["auth"]["bypass"] is True
    assert doc["auth"]["token_sub"] is None, doc["auth"]
    assert "no token" in doc["auth"]["reason"], doc["auth"]["reason"]
    assert "token was still valid" not in doc["close"]["explanation"]
