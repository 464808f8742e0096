"""Recordings of runs that all time out before their first event, for the tests of how reports
count runs the client stopped waiting for. No test here: imported by its neighbours."""

from __future__ import annotations

from pathlib import Path

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, start_in_thread

# So slow a pace that no run's first event comes within the client's 0.5 s wait.
SLOW = TimingProfile(time_scale=20.0, tool_calls=(1, 1))


def record_silent_timeouts(record: Path, *, users: int = 2) -> None:
    """``fanout`` of ``users`` users, one run each, into ``record``: every run times out (0.5 s)
    with no event received."""
    with start_in_thread(EmulatorConfig(auth=AuthMode.STRICT, timing=SLOW)) as svc:
        argv = ["fanout", str(svc.url), "--users", str(users), "--runs", "1", "--timeout", "0.5"]
        assert main([*argv, "--record", str(record)]) == ExitCode.TIMEOUT
