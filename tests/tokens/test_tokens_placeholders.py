"""What a suite sends when no token reached the request ('Bearer undefined', an unexpanded
'$TOKEN', a CI template, a subprotocol name copied instead of its token entry) is said as such,
with a hint at the step that should have produced the token, not "copied whole" advice about
base64 that does not decode."""

from __future__ import annotations

import pytest

from netra_diag.cli import main


@pytest.mark.parametrize(
    ("pasted", "said"),
    [
        ("Bearer undefined", "'undefined' is no token: the value that should hold the token was"),
        ("null", "'null' is no token"),
        ("Authorization: Bearer $E2E_TOKEN", "'$E2E_TOKEN' is a placeholder, not a token"),
        ("${{ secrets.E2E_TOKEN }}", "'${{ secrets.E2E_TOKEN }}' is a placeholder, not a token"),
        ("Authorization: Bearer ", "'Bearer' with nothing after it"),
    ],
)
def test_no_token_reached_the_request(
    pasted: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["token", "verify", pasted])
    out = capsys.readouterr().out
    assert code == 1
    assert "REJECTED for local: 1 problem" in out
    assert said in out
    assert "no token reached the request" in out
    assert "copied whole" not in out and "base64" not in out.replace("base64url(jwt)", "")


def test_a_subprotocol_name_is_not_taken_for_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["token", "inspect", "jwt-auth"])
    out = capsys.readouterr().out
    assert code == 1
    assert "'jwt-auth' is a subprotocol name, not a token" in out
    assert "jwt.<base64url(jwt)>" in out
    assert "not UTF-8" not in out


def test_a_secret_like_word_is_not_echoed_as_a_placeholder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "<Zq8-very-long-opaque-value-that-is-not-a-name-at-all-1234567890>"
    main(["token", "verify", secret])
    out, err = capsys.readouterr()
    assert "placeholder" not in out and secret[1:-1] not in out + err


def test_an_empty_pipe_points_at_where_the_token_should_come_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    # `echo "$TOKEN" | netra-diag token verify -` with TOKEN unset
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["token", "verify", "-"]) == 1
    out = capsys.readouterr().out
    assert "empty input: no token given" in out
    assert "no token reached the request" in out and "copied whole" not in out
