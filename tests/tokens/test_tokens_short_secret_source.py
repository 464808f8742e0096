"""A secret too short for its profile is refused naming where it came from (``$SHORT``,
``$JWT_SECRET_KEY``, ``secret_env: $X``): "the secret given has 3" left the user to guess which
of their variables it was. Never the secret itself. (The notebooks' panels name the variable
beside the mint's message themselves: widgets.session_secret.)"""

from __future__ import annotations

import pytest

from netra_diag.cli import main

SHORT = "abc"


@pytest.mark.parametrize(
    ("env", "argv", "source"),
    [
        ({"SHORT_SECRET": SHORT}, ["--secret-env", "SHORT_SECRET"], "$SHORT_SECRET"),
        ({"JWT_SECRET_KEY": SHORT}, [], "$JWT_SECRET_KEY"),
    ],
)
def test_mint_names_the_variable_holding_a_short_secret(
    env: dict[str, str],
    argv: list[str],
    source: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["token", "mint", "--sub", "u1", "--profile", "staging", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert f"staging secrets are at least 32 characters; {source} has 3" in err
