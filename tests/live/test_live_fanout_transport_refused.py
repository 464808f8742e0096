"""A fan-out whose transport the service does not take (``serve --transports query``, fanout
``--transport header``): every user is refused with 1008, and the summary's advice names the
transport as well as the secret; it said only "check the secret, --profile and claims", while
the reason quoted under it was "credentials sent by header are not accepted here"."""

from __future__ import annotations

import pytest
from live_kit import emulator

from netra_diag.cli import main


def test_a_refused_transport_is_in_the_advice(capsys: pytest.CaptureFixture[str]) -> None:
    with emulator(transports=frozenset({"query"})) as svc:
        code = main(["fanout", svc.ws_url("/ws"), "--users", "2", "--transport", "header"])
    out = capsys.readouterr().out
    assert code == 3, out
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith("  auth failed:"))
    assert lines[i].endswith(
        "check the secret, --profile and claims (netra-diag token verify), and that the "
        "service takes credentials by this transport (--transport auto tries each; the reason "
        "below says which it refused)"
    ), lines[i]
    assert "credentials sent by header are not accepted here" in lines[i + 1]
