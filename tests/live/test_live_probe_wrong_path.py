"""``probe`` of a URL whose path is no WebSocket endpoint says so: a 404 (a typo) or a plain
HTTP answer (the health check, /ws/health) on the upgrade gets a hint naming the service's
endpoints; "refused with HTTP 200" alone read as the service turning the client away."""

from __future__ import annotations

import json

import pytest
from live_kit import emulator

from netra_diag.cli import main

ENDPOINTS = "/ws or /api/v1/websocket (PROTOCOL.md §1)"


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("/wss", f"no endpoint at this path: the service's WebSocket endpoints are {ENDPOINTS}"),
        (
            "/ws/health",
            "this path answers plain HTTP (HTTP 200), not a WebSocket upgrade: the service's "
            f"WebSocket endpoints are {ENDPOINTS}",
        ),
    ],
)
def test_a_path_that_is_no_endpoint_gets_a_hint(
    path: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with emulator() as svc:
        url = svc.url.removesuffix("/ws") + path
        assert main(["probe", url, "--sub", "u1", "--transport", "header"]) == 5
        lines = capsys.readouterr().out.splitlines()
        assert lines[-3].startswith("== failed: HandshakeRejected: "), lines
        assert lines[-2] == f"  hint: {hint}"
        assert main(["probe", url, "--sub", "u1", "--transport", "header", "--json"]) == 5
        assert json.loads(capsys.readouterr().out)["hint"] == hint


def test_other_refusals_get_no_hint(capsys: pytest.CaptureFixture[str]) -> None:
    # factory mode refuses a bad token with 403 before the upgrade: an auth problem, no path's
    with emulator() as svc:
        code = main(["probe", svc.ws_url("/ws/factory"), "--no-token", "--transport", "none"])
    out = capsys.readouterr().out
    assert code == 3, out
    assert "HTTP 403" in out and "hint:" not in out
