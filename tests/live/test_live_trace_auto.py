"""``netra-diag trace`` on a cassette recorded with ``--transport auto`` against a service
that takes credentials only from ``?token=``: the header and subprotocol attempts auto made first
(AUTH_FAILED, close 1008) are in the cassette, but the session it kept was clean, so the
cassette's contract verdict is a pass, as probe's was. A session whose every attempt was refused
still fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    ThreadedService,
)


@pytest.fixture(scope="module")
def query_only() -> Iterator[ThreadedService]:
    with emulator(transports={"query"}) as svc:
        yield svc


def test_trace_passes_a_cassette_whose_auto_attempts_were_refused_before_one_got_in(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "auto.jsonl"
    assert main(["probe", query_only.url, "--sub", "u1", "--record", str(cassette)]) == 0
    assert '"outcome":"closed"' in cassette.read_text().replace(" ", "")  # refusals recorded
    capsys.readouterr()
    code = main(["trace", str(cassette), "-o", str(tmp_path / "t.json"), "--strict"])
    out = capsys.readouterr().out
    assert "PASS" in out, out
    assert code == ExitCode.OK, out


def test_trace_still_fails_a_cassette_whose_every_attempt_was_refused(
    query_only: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "refused.jsonl"
    argv = ["probe", query_only.url, "--sub", "u1", "--transport", "header"]
    assert main([*argv, "--record", str(cassette)]) == ExitCode.CONTRACT
    capsys.readouterr()
    code = main(["trace", str(cassette), "-o", str(tmp_path / "t.json"), "--strict"])
    out = capsys.readouterr().out
    assert "FAIL" in out and "1008" in out, out
    assert code == ExitCode.CONTRACT
