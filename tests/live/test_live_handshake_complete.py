"""``netra-diag probe`` against the newest generation (handshake_response →
handshake_acknowledged → handshake_complete, PROTOCOL.md §5) with ``drop_handshake_complete``:
the client waited its establish timeout for a handshake_complete that never came and went on;
the probe must say so and not call the session ok (a client that waits for it, as that
generation requires, never sends its message)."""

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
def newest() -> Iterator[ThreadedService]:
    with emulator(
        auth=AuthMode.STRICT, timing=TimingProfile(time_scale=0, tool_calls=(1, 2)), handshake=True
    ) as svc:
        yield svc


def test_missing_handshake_complete_is_reported(
    newest: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    url = newest.ws_url("/ws", faults="drop_handshake_complete")
    code = main(["probe", url, "--sub", "u1", "--transport", "header", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert any("handshake_complete" in p for p in doc["contract_problems"]), doc
    assert code == ExitCode.CONTRACT == doc["exit_code"]


def test_complete_handshake_is_ok(
    newest: ThreadedService, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["probe", newest.url, "--sub", "u1", "--transport", "header", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["contract_problems"] == [], doc
    assert code == ExitCode.OK
