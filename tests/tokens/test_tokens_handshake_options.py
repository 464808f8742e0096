"""``token handshake`` says when an option given does not shape the handshake shown:
``--prefix jwt-auth --transport header`` printed the header without a word, which read as the
handshake the prefix would give."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture
def token() -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time())


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--transport", "header", "--prefix", "jwt-auth"], "--prefix applies to --transport "),
        (["--transport", "query", "--encoding", "raw"], "--encoding applies to --transport "),
        (["--query-param", "jwt"], "--query-param applies to --transport query only: ignored "),
        (["--bad", "jwt-bare", "--prefix", "x"], "ignored with --bad jwt-bare"),
    ],
)
def test_an_option_the_handshake_does_not_use_is_said(
    token: str, argv: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "handshake", token, *argv]) == 0
    captured = capsys.readouterr()
    assert said in captured.err
    assert token not in captured.out + captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["--prefix", "jwt-auth"],
        ["--transport", "subprotocol-raw", "--prefix", "jwt-auth"],
        ["--transport", "bearer", "--encoding", "raw"],
        ["--transport", "query", "--query-param", "jwt"],
        ["--all", "--prefix", "jwt-auth"],
        [],
    ],
)
def test_options_that_shape_the_handshake_pass_quietly(
    token: str, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "handshake", token, *argv]) == 0
    assert "ignored" not in capsys.readouterr().err


def test_defaults_still_apply(token: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "handshake", token, "--transport", "query"])
    assert "?token=" in capsys.readouterr().out
    main(["token", "handshake", token])
    assert "jwt." in capsys.readouterr().out


@pytest.mark.parametrize(
    ("transport", "echo"),
    [("header", False), ("query", False), ("subprotocol", True), ("bearer", True)],
)
def test_the_echo_is_expected_only_where_a_subprotocol_carries_the_token(
    token: str, transport: str, echo: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token", "handshake", token, "--transport", transport])
    expected = next(
        line for line in capsys.readouterr().out.splitlines() if line.strip().startswith("expected")
    )
    assert "authenticated" in expected
    assert ("echoes the token-bearing subprotocol" in expected) is echo


def test_a_token_no_subprotocol_entry_can_hold_is_a_usage_error_naming_no_token(
    token: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A padded token sent raw in a subprotocol: websockets raised "invalid subprotocol: jwt.<the
    whole token>", which probe printed in a traceback (exit 1)."""
    from live.live_kit import emulator

    padded = token + "=="
    monkeypatch.setenv("PADDED_TOKEN", padded)
    with emulator() as svc:
        url = svc.ws_url("/ws")
        code = main(["probe", url, "--token-env", "PADDED_TOKEN", "--transport", "subprotocol-raw"])
    captured = capsys.readouterr()
    assert code == 2
    assert "cannot travel raw in a subprotocol entry: it holds '='" in captured.err
    assert "Traceback" not in captured.err
    for part in token.split("."):
        assert part not in captured.out + captured.err
    assert main(["token", "handshake", padded, "--transport", "test-helper"]) == 2
    assert token.split(".")[2] not in capsys.readouterr().err
