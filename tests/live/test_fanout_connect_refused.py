"""``netra-diag fanout URL`` against a port that refuses: the summary and the JSON say why the
users could not connect, not only the error's class."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


@pytest.fixture
def refusing_url() -> Iterator[str]:
    # Bound but not listening: the kernel answers every SYN with a reset, and nobody else can
    # take the port while the test runs.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/ws"


def test_summary_names_why_users_did_not_connect(
    refusing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fanout", refusing_url, "--users", "3", "--no-progress"])
    out = capsys.readouterr().out
    assert code == ExitCode.CONNECTION, out
    assert "not connected:      3 of 3 users (ConnectFailed ×3)" in out
    port = refusing_url.rsplit(":", 1)[1].split("/")[0]
    example = next(line for line in out.splitlines() if "e.g. fanout-user-0000" in line)
    assert port in example and "could not connect" in example, out


def test_json_names_why_users_did_not_connect(
    refusing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["fanout", refusing_url, "--users", "2", "--no-progress", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == ExitCode.CONNECTION == data["exit_code"]
    failures = data["connect_failures"]
    assert failures["users"] == 2 and failures["classes"] == {"ConnectFailed": 2}
    assert failures["example"].startswith("fanout-user-0000: could not connect to ")
    assert data["auth_failures"]["users"] == 0


def test_refused_credentials_are_not_connect_failures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["fanout", "--users", "2", "--no-progress", "--json", "--faults", "reject_auth"]
    code = main([*argv, "--transport", "header"])
    data = json.loads(capsys.readouterr().out)
    assert code == ExitCode.CONTRACT
    assert data["auth_failures"]["users"] == 2
    assert data["connect_failures"] == {"users": 0, "classes": {}, "example": None}


def test_nothing_sent_is_not_reported_as_nothing_lost(
    refusing_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["fanout", refusing_url, "--users", "2", "--no-progress"])
    out = capsys.readouterr().out
    assert "0 of 0 expected critical events lost" not in out, out
    assert "events:             0 critical received; no run got far enough" in out, out
