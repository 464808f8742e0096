"""``token verify`` said 'valid for staging' for a token checked with a key the staging
service does not read (--secret-env JWT_SECRET, a key file) or under rules it does not use
(--type refresh, --audience, --max-age over 24 h). The pass stands, and says what it does not
prove."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.tokens import mint_token

HELPER = "helper-secret-read-from-jwt-secret-0123456789"


@pytest.fixture(autouse=True)
def helper_secret_only(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET_KEY", "JWT_SECRET_STAGING", "JWT_SECRET_DEVELOPMENT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JWT_SECRET", HELPER)


def token(**kwargs: object) -> str:
    return mint_token("u1", key=HELPER, now=time.time(), profile="staging", **kwargs)  # type: ignore[arg-type]


def test_a_key_the_service_does_not_read(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["token", "verify", "--profile", "staging", "--secret-env", "JWT_SECRET", token()]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "is valid for staging" in out
    assert (
        "note: the signature was checked with $JWT_SECRET, not $JWT_SECRET_KEY, which the "
        "staging service reads"
    ) in out
    assert HELPER not in out


def test_a_key_file_and_relaxed_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "secret"
    key.write_text(HELPER + "\n")
    argv = ["token", "verify", "--profile", "staging", "--key-file", str(key), "--json"]
    argv += ["--type", "refresh", "--audience", "netra-platform", "--max-age", "2d"]
    assert main([*argv, token(token_type="refresh")]) == 0
    caveats = json.loads(capsys.readouterr().out)["caveats"]
    assert len(caveats) == 4 and f"key file {key}" in caveats[0]
    assert "access tokens only" in caveats[1] and "--audience" in caveats[2]


def test_the_services_own_rules_have_no_caveat(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET_KEY", HELPER)
    assert main(["token", "verify", "--profile", "staging", token(), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["caveats"] == []
