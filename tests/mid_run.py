"""Stopping a real ``netra-diag`` process in the middle of a run: for the tests of what it says
and keeps when it is stopped (Ctrl-C, SIGTERM) or when the service under it goes away."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from timeouts import scaled

CLI = str(Path(sys.executable).with_name("netra-diag"))


def a_run_started(where: Path) -> bool:
    """Whether a cassette at ``where`` (a file, or a folder of them) holds an ``agent_started``
    frame: a run under way (the word alone is also in the greeting's list of events)."""
    files = [where] if where.suffix == ".jsonl" else sorted(where.glob("*.jsonl"))
    return any(p.exists() and '"type":"agent_started"' in p.read_text() for p in files)


def wait_for(
    child: subprocess.Popen[str],
    ready: Callable[[], bool],
    what: str,
    *,
    seconds: float = 30,
    poll: float = 0.05,
) -> None:
    """Until ``ready()``; fails with ``what`` after ``seconds`` (scaled), or with the child's
    output if it ends first."""
    deadline = time.monotonic() + scaled(seconds)
    while not ready():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, what
        time.sleep(poll)


def signal_mid_run(
    argv: list[str], where: Path, sig: signal.Signals, *, seconds: float = 30
) -> tuple[int, str, str]:
    """Run ``netra-diag ARGV``, send it ``sig`` once a cassette at ``where`` shows a run under
    way, and return its exit status, stdout and stderr."""
    child = subprocess.Popen(
        [CLI, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(child, lambda: a_run_started(where), "no run started", seconds=seconds)
        child.send_signal(sig)
        out, err = child.communicate(timeout=scaled(30))
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return child.returncode, out, err
