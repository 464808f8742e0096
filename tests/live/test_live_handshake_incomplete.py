"""``fanout`` and ``trace`` against the newest generation with ``drop_handshake_complete``
(PROTOCOL.md §5): every user waited its establish timeout for a handshake_complete that never
came; the fan-out must not report 'errors by class: none' and exit 0, and trace must not PASS
the cassettes (probe already says so)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from live_kit import emulator

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import (
    AuthMode,
    FaultPlan,
    ThreadedService,
    TimingProfile,
)


@pytest.fixture(scope="module")
def dropping() -> Iterator[ThreadedService]:
    with emulator(
        auth=AuthMode.STRICT,
        timing=TimingProfile(time_scale=0, tool_calls=(1, 2)),
        handshake=True,
        faults=FaultPlan.parse("drop_handshake_complete"),
    ) as svc:
        yield svc


def test_fanout_and_trace_say_handshake_complete_never_came(
    dropping: ThreadedService, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = tmp_path / "rec"
    argv = ["fanout", dropping.url, "--users", "2", "--no-progress", "--transport", "header"]
    code = main([*argv, "--record", str(rec), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["contract"]["errors"].get("handshake_incomplete") == 2, doc["contract"]
    assert code == ExitCode.CONTRACT
    code = main(["trace", str(rec), "-o", str(tmp_path / "t.json"), "--strict"])
    out = capsys.readouterr().out
    assert "handshake_complete never arrived" in out, out
    assert code == ExitCode.CONTRACT
