"""``netra-diag trace`` on cassettes of sessions that never connected: an upgrade refused
with HTTP 403 (factory mode refuses credentials before the upgrade, PROTOCOL.md §2) and a port
with nothing listening. probe failed both (exit 3 and 5); trace must fail them too, saying why,
instead of 'INCONCLUSIVE: no agent events observed (no frames at all)'."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    ThreadedService,
    TimingProfile,
)


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    with emulator(timing=TimingProfile(time_scale=0)) as svc:
        yield svc


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def trace(capsys: pytest.CaptureFixture[str], cassette: Path) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["trace", str(cassette), "-o", str(cassette.with_suffix(".json"))])
    return code, capsys.readouterr().out


def test_upgrade_refused_with_403_is_a_failure(
    service: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "factory.jsonl"
    url = service.ws_url("/ws/factory")
    argv = ["probe", url, "--no-token", "--transport", "none", "--record", str(cassette)]
    assert main(argv) == ExitCode.CONTRACT
    code, out = trace(capsys, cassette)
    assert code == ExitCode.OK  # trace exits 3 only with --strict
    assert "FAIL: never connected" in out and "HTTP 403" in out, out
    assert "INCONCLUSIVE" not in out


def test_nothing_listening_is_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cassette = tmp_path / "refused.jsonl"
    url = f"ws://127.0.0.1:{free_port()}/ws"
    assert main(["probe", url, "--record", str(cassette)]) == ExitCode.CONNECTION
    _, out = trace(capsys, cassette)
    assert "FAIL: never connected" in out, out
    assert main(["trace", str(cassette), "-o", str(tmp_path / "t.json"), "--strict"]) == 3
