"""Recordings of a fan-out that never reached the service (it had stopped): the report fails
infrastructure (exit 9) and says so first; it does not also call the sessions broken event
contracts (a service that sent nothing broke no ordering rule), nor blame isolation on "fewer
than two sessions" when three were recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag import investigation, report
from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, start_in_thread


def _stopped_service_url() -> str:
    # A port the reference service listened on a moment ago: nothing answers there now.
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile(time_scale=0))
    with start_in_thread(config) as svc:
        url = str(svc.url)
    return url


def test_sessions_that_never_connected_are_not_contract_breakers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = tmp_path / "rec"
    url = _stopped_service_url()
    code = main(["fanout", url, "--users", "3", "--runs", "1", "--record", str(record)])
    capsys.readouterr()
    assert code == int(ExitCode.CONNECTION)
    assert len(list(record.glob("*.jsonl"))) == 3

    inv = investigation.analyse(record, results=[])
    checks = {c.name: c for c in inv.checks}
    assert not checks["infrastructure"].passed
    assert checks["contracts"].status == "not verified"
    assert checks["contracts"].detail == (
        "not verified: no session connected, so no event was checked; "
        "3 sessions never connected (see infrastructure)"
    )
    assert checks["isolation"].detail == (
        "cross-user isolation: cannot judge (only 0 of 3 recorded sessions connected)"
    )
    assert "broke the event contract" not in inv.headline
    assert inv.headline.startswith("0 of 3 recorded sessions connected")
    assert report.exit_code_for(inv.checks) is ExitCode.INFRASTRUCTURE
