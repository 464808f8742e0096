"""``--transport query`` against a URL that already carries a token parameter (pasted from a
browser's devtools with yesterday's token, ``?token=old``) must send the new token where the
server reads it. The server takes the first of ?token=, ?jwt=, ?auth_token=, ?access_token=
(PROTOCOL.md §2): appending a second ``token=`` left the old one in force, and the probe failed
with 'not 3 parts' for a token it never meant to send."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    ThreadedService,
    TimingProfile,
)
from netra_diag.tokens import LOCAL_DEV_SECRET, build_handshake, mint_token


@pytest.fixture(scope="module")
def service() -> Iterator[ThreadedService]:
    with emulator(timing=TimingProfile(time_scale=0)) as svc:
        yield svc


@pytest.mark.parametrize("stale", ["token=old", "access_token=old&mode=main", "jwt=a.b.c"])
def test_query_transport_replaces_a_token_already_in_the_url(
    service: ThreadedService, stale: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{service.url}?{stale}"
    code = main(["probe", url, "--sub", "u1", "--transport", "query"])
    out = capsys.readouterr().out
    assert "== auth: validated" in out, out
    assert code == ExitCode.OK


def test_handshake_keeps_other_parameters_and_one_token() -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_800_000_000.0)
    hs = build_handshake("ws://h/ws?mode=main&token=old&jwt=x", token, "query", query_param="jwt")
    pairs = parse_qsl(urlsplit(hs.url).query)
    assert pairs == [("mode", "main"), ("jwt", token)]
