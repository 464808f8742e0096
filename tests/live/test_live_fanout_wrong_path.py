"""``fanout`` of a URL whose path is no WebSocket endpoint (none at all, ``ws://host:port``)
gives the hint ``probe`` gives: every user refused with a 404 was a bare "HandshakeRejected"."""

from __future__ import annotations

import pytest
from live_kit import emulator

from netra_diag.cli import main


def test_every_user_refused_with_404_gets_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator() as svc:
        code = main(["fanout", svc.url.removesuffix("/ws"), "--users", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 5, lines
    i = lines.index("  not connected:      2 of 2 users (HandshakeRejected ×2)")
    assert "refused with HTTP 404" in lines[i + 1], lines
    assert lines[i + 2] == (
        "    hint: no endpoint at this path: the service's WebSocket endpoints are /ws or "
        "/api/v1/websocket (PROTOCOL.md §1)"
    )


def test_refused_connections_get_no_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator() as svc:
        port = svc.port
    assert main(["fanout", f"ws://127.0.0.1:{port}/ws", "--users", "2"]) == 5
    assert "hint:" not in capsys.readouterr().out
