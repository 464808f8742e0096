"""``netra-diag probe``: a refusal of credentials is an auth problem (exit 3) whatever
close code the server's authenticator uses (1008, or 1011 after AUTH_FAILED in the older one),
and so is a subprotocol format the server does not support (1003); a 1011 after the session
was accepted stays a connection problem (exit 5)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from live_kit import emulator, probe_json

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    ThreadedService,
)


@pytest.fixture(scope="module")
def older_authenticator() -> Iterator[ThreadedService]:
    """The older authenticator: AUTH_FAILED, then close 1011 instead of 1008."""
    with emulator(auth_close_code=1011) as svc:
        yield svc


def test_auth_failed_then_close_1011_is_an_auth_refusal(
    older_authenticator: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = probe_json(capsys, older_authenticator.url, "--transport", "none", "--no-token")
    assert doc["code"] == 1011
    assert code == ExitCode.CONTRACT == doc["exit_code"]


def test_close_1011_without_auth_failed_stays_a_connection_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["probe", "--time-scale", "0", "--faults", "close_1011_after_first_message"])
    out = capsys.readouterr().out
    assert "Closed 1011" in out
    assert code == ExitCode.CONNECTION


def test_no_supported_subprotocol_is_a_handshake_format_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        ["probe", "--time-scale", "0", "--transport", "bad:unsupported-subprotocol", "--json"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["code"] == 1003
    assert code == ExitCode.CONTRACT == doc["exit_code"]


def test_auto_says_each_refused_attempt_once(
    older_authenticator: ThreadedService,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QA_WRONG_SECRET", "not-the-service-secret-" * 2)
    url = older_authenticator.url
    code, doc = probe_json(capsys, url, "--sub", "u1", "--secret-env", "QA_WRONG_SECRET")
    message = str(doc["message"])
    assert "auto tried" in message
    assert "closed close" not in message, message
    assert "closed 1011" in message
    assert code == ExitCode.CONTRACT
