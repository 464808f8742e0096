"""``wss://`` to a server that speaks plain ``ws://`` (the reference service, replay): the
connect failure says what the likely slip is; it said only "ConnectionResetError"."""

from __future__ import annotations

import pytest
from live_kit import emulator

from netra_diag.cli import main


def test_wss_to_a_plain_server_suggests_ws(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator() as svc:
        url = svc.url.replace("ws://", "wss://", 1)
        code = main(["probe", url, "--sub", "u1"])
    out = capsys.readouterr().out
    assert code == 5, out
    failed = next(line for line in out.splitlines() if line.startswith("== failed:"))
    assert failed.startswith(f"== failed: ConnectFailed: could not connect to {url}: "), failed
    assert failed.endswith(
        "(a wss:// URL: a server that speaks plain ws://, as the reference service and replay "
        "do, answers TLS this way; try ws://)"
    ), failed


def test_plain_ws_refused_gets_no_tls_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator() as svc:
        port = svc.port
    # the service has stopped: its port refuses
    assert main(["probe", f"ws://127.0.0.1:{port}/ws", "--sub", "u1"]) == 5
    assert "TLS" not in capsys.readouterr().out
