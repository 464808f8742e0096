"""``netra-diag fanout`` against RELAXED auth with tokens the service cannot validate: it
lets every user in under its own synthetic id (relaxed_1, relaxed_2, ...), so isolation looks
fine, but no token was validated. probe calls that an auth bypass (exit 3); fanout said
'isolated' and exit 0. Validated users stay exit 0."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    AuthMode,
    ThreadedService,
    TimingProfile,
)


@pytest.fixture(scope="module")
def relaxed() -> Iterator[ThreadedService]:
    with emulator(auth=AuthMode.RELAXED, timing=TimingProfile(time_scale=0)) as svc:
        yield svc


def fanout(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    code = main(["fanout", *argv, "--users", "3", "--no-progress", "--transport", "header"])
    capsys.readouterr()
    main(["fanout", *argv, "--users", "3", "--no-progress", "--transport", "header", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_users_let_in_under_synthetic_ids_are_an_auth_bypass(
    relaxed: ThreadedService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_WRONG_SECRET", "not-the-service-secret-" * 2)
    code, doc = fanout(capsys, relaxed.url, "--secret-env", "QA_WRONG_SECRET")
    assert doc["auth_bypassed"]["users"] == 3, doc
    assert code == ExitCode.CONTRACT


def test_validated_users_are_no_bypass(
    relaxed: ThreadedService, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    code, doc = fanout(capsys, relaxed.url)
    assert doc["auth_bypassed"]["users"] == 0, doc
    assert code == ExitCode.OK
