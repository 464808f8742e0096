"""A URL with whitespace around it (pasted with the line's end, a quoted "$URL ") is taken
without it by ``probe`` and ``fanout``; whitespace or a control character inside one is a usage
error. A trailing space went out in the request line and failed as "invalid handshake: did
not receive a valid HTTP response" (exit 5), which read as the server's fault."""

from __future__ import annotations

import asyncio

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.errors import UsageError
from netra_diag.live import Session


@pytest.mark.parametrize("command", ["probe", "fanout"])
def test_whitespace_around_the_url_is_taken_off(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with emulator() as svc:
        url = f" {svc.ws_url('/ws')} \n"
        extra = ["--sub", "u1"] if command == "probe" else ["--users", "2"]
        code = main([command, url, *extra])
    out = capsys.readouterr().out
    assert code == 0, out


@pytest.mark.parametrize(("inside", "position"), [(" ", 21), ("\t", 21), ("\n", 21)])
def test_whitespace_inside_the_url_is_a_usage_error(inside: str, position: int) -> None:
    url = f"ws://127.0.0.1:9/ws/{inside}x?token=abc"
    with pytest.raises(UsageError) as caught:
        asyncio.run(Session.connect(url, token=None, transport="none"))
    assert str(caught.value) == (
        f"url ws://127.0.0.1… has whitespace or a control character at position {position} "
        f"of {len(url)} ({inside!r}): remove it"
    )
    assert "abc" not in str(caught.value)
