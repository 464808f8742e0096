"""``netra-diag token verify``'s options as typed under pressure: ``token explain`` (what
the top-level help promises: 'mint and explain tokens') works as verify does; a negative
--leeway and a --max-age of 0 or less are usage errors naming the option (--max-age -1h made
every token 'too old'; --leeway -5 said 'leeway must be …' without the option's name)."""

from __future__ import annotations

import time

import pytest

from netra_diag.cli import main
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.fixture(autouse=True)
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET_KEY", "JWT_SECRET", "JWT_SECRET_DEVELOPMENT"):
        monkeypatch.delenv(name, raising=False)


def token(**kwargs: object) -> str:
    return mint_token("u1", key=LOCAL_DEV_SECRET, now=time.time(), **kwargs)  # type: ignore[arg-type]


def test_explain_is_verify(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "explain", token(ttl="-5m")]) == 1
    out = capsys.readouterr().out
    assert "REJECTED for local" in out and "[expired] expired 5m" in out
    assert main(["token", "explain", "--leeway", "10m", token(ttl="-5m")]) == 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--leeway", "-5", "--leeway '-5': must be 0 or more"),
        ("--max-age", "0", "--max-age '0': must be above 0"),
        ("--max-age", "-1h", "--max-age '-1h': must be above 0"),
    ],
)
def test_durations_out_of_range_are_usage_errors(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "verify", f"{option}={value}", token()]) == 2
    assert message in capsys.readouterr().err


def test_the_token_help_names_explain_and_the_ways_to_give_a_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["token"]) == 2
    out = capsys.readouterr().out
    assert "explain" in out and "@FILE" in out and "exit codes" in out
