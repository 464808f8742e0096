"""A URL whose port cannot be one (``:99999``, ``:abc``, ``:0``) is a usage error (exit 2) from
``probe`` and ``fanout``, said before anything starts: ``probe`` printed a ValueError traceback
(exit 1), ``fanout`` counted every user as a connection failure (exit 5)."""

from __future__ import annotations

import asyncio

import pytest

from netra_diag.cli import main
from netra_diag.errors import UsageError
from netra_diag.live import Session
from netra_diag.live.fanout import run_fanout

# (URL, how the error names it: scheme, host and the port as given, never the path or query)
BAD = [
    ("ws://127.0.0.1:99999/ws?token=x", "ws://127.0.0.1:99999"),
    ("ws://127.0.0.1:abc/ws", "ws://127.0.0.1:abc"),
    ("ws://[::1]:0/ws", "ws://[::1]:0"),
]


@pytest.mark.parametrize(("url", "shown"), BAD)
@pytest.mark.parametrize("command", ["probe", "fanout"])
def test_a_bad_port_is_a_usage_error(
    command: str, url: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([command, url])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert err.strip() == (
        f"netra-diag {command}: error: url {shown}: the port must be a number from 1 to 65535"
    )
    assert out == ""


def test_the_library_says_so_too() -> None:
    with pytest.raises(UsageError, match="port must be a number from 1 to 65535"):
        asyncio.run(Session.connect("ws://127.0.0.1:70000/ws", token=None, transport="none"))
    with pytest.raises(UsageError, match="port must be a number from 1 to 65535"):
        asyncio.run(run_fanout("ws://127.0.0.1:70000/ws", users=1, progress=False))
