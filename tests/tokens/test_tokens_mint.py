"""``netra-diag token mint``'s note, read literally: a token the profile's service would
refuse (expired, a --claim typo, the old helper's iss, alg none, a refresh token) was announced
as 'minted access token ...' and nothing else, and so was one signed with $JWT_SECRET, which the
service does not read (PROTOCOL.md §9 category 2). Both are now warned of on stderr (and in
--json), naming secrets, never showing them."""

from __future__ import annotations

import json

import pytest

from netra_diag.cli import main

HELPER = "helper-secret-read-from-jwt-secret-0123456789"
SERVICE = "service-secret-read-from-jwt-secret-key-0123"


@pytest.fixture(autouse=True)
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET_KEY", "JWT_SECRET", "JWT_SECRET_DEVELOPMENT", "JWT_SECRET_STAGING"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["--ttl=-5m"], "expired"),
        (["--claim", "iss=netra-test"], "wrong_issuer"),
        (["--claim", "exp=abc"], "malformed"),
        (["--alg", "none"], "alg_none"),
        (["--type", "refresh"], "wrong_token_type"),
    ],
)
def test_a_token_the_service_refuses_is_warned_of(
    argv: list[str], code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "mint", "--sub", "u1", *argv]) == 0
    err = capsys.readouterr().err
    assert f"warning: the local service would reject this token ({code})" in err, err
    assert main(["token", "mint", "--sub", "u1", *argv, "--json"]) == 0
    assert f"({code})" in json.loads(capsys.readouterr().out)["warnings"][0]


def test_a_good_token_has_no_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "mint", "--sub", "u1"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_signing_with_jwt_secret_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", HELPER)
    monkeypatch.setenv("JWT_SECRET_KEY", SERVICE)
    assert main(["token", "mint", "--sub", "u1", "--secret-env", "JWT_SECRET"]) == 0
    out, err = capsys.readouterr()
    assert (
        "warning: signed with $JWT_SECRET, but the local service reads $JWT_SECRET_KEY "
        "(PROTOCOL.md §3): the two differ: it refuses the token (bad_signature)"
    ) in err
    assert HELPER not in out + err and SERVICE not in out + err
    monkeypatch.setenv("JWT_SECRET_KEY", HELPER)
    assert main(["token", "mint", "--sub", "u1", "--secret-env", "JWT_SECRET"]) == 0
    assert "the two hold the same value here" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "said"),
    [('["read"', "Expecting ','"), ("['read']", "double quotes"), ('{"a": }', "Expecting value")],
)
def test_a_claim_meant_as_json_that_does_not_parse_is_refused(
    value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "mint", "--sub", "u1", "--claim", f"permissions={value}"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "bad --claim permissions=...: the value starts like JSON" in err
    assert said in err


def test_a_plain_string_claim_is_still_a_string(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "mint", "--sub", "u1", "--claim", "env=local", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["claims"]["env"] == "local"


def test_a_claim_nested_too_deeply_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "mint", "--sub", "u1", "--claim", "x=" + "[" * 100_000]) == 2
    assert "bad --claim x=...: the value is nested too deeply" in capsys.readouterr().err
