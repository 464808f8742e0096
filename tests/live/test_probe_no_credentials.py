"""A 1008 after a handshake that sent no credentials (``probe --transport none``) is not
explained as "the token was rejected": no token was sent."""

from __future__ import annotations

import pytest
from live_kit import emulator

from netra_diag.cli import main


def test_a_1008_without_credentials_does_not_blame_a_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with emulator() as svc:
        main(["probe", svc.ws_url("/ws"), "--transport", "none"])
    out = capsys.readouterr().out
    assert "Closed 1008" in out, out
    assert "the token was rejected" not in out
    assert "no credentials reached the service, or it rejected the token" in out
