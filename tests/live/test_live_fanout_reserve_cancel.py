"""A fan-out stopped (Ctrl-C, SIGTERM) while it creates its users' cassette files before the ramp
leaves none behind: the worker thread creating them went on after the cancel, and every file it
made stayed in the --record folder as a hidden '.reserved' file."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mid_run import wait_for
from timeouts import scaled

from netra_diag.live.fanout_prep import reserve
from netra_diag.live.fanout_rows import UserState
from netra_diag.live.fanout_runtime import raise_nofile_limit

CLI = str(Path(sys.executable).with_name("netra-diag"))

# Enough files that creating them takes a while (~0.3 ms each here: over a second), and few
# enough that each holding a descriptor stays under common limits (raised as fanout raises it).
USERS = 5_000


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


async def _settled(folder: Path) -> list[str]:
    """The folder's names once nothing has been added to it for half a second."""
    names: list[str] = []
    deadline = time.monotonic() + scaled(60)
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = _names(folder)
        if now == names:
            return names
        names = now
    pytest.fail("the folder never stopped changing")


async def test_cancelled_while_reserving_leaves_no_file(tmp_path: Path) -> None:
    raise_nofile_limit(USERS + 64)
    states = [UserState(user=f"u{i}", index=i, intended_s=0.0) for i in range(USERS)]
    task = asyncio.create_task(reserve(states, tmp_path))
    deadline = time.monotonic() + scaled(30)
    while not _names(tmp_path):
        assert not task.done(), "reserved every file before the test could cancel"
        assert time.monotonic() < deadline, "no file was created"
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _settled(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM to a child process")
def test_sigterm_before_the_ramp_says_nothing_was_recorded(tmp_path: Path) -> None:
    # It said "the cassettes recorded so far are in DIR" of a folder holding none, and left
    # thousands of hidden '.reserved' files there.
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if 0 <= hard < USERS * 3 + 64:  # (fanout refuses what it cannot hold open)
        pytest.skip(f"needs a descriptor limit of {USERS * 3 + 64}, the hard limit is {hard}")
    record = tmp_path / "cassettes"
    child = subprocess.Popen(
        [CLI, "fanout", "--users", str(USERS), "--record", str(record), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(
            child,
            lambda: record.is_dir() and bool(_names(record)),
            "no cassette file was reserved",
            seconds=120,
            poll=0.005,
        )
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=scaled(60))
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 143, err
    assert err.strip().splitlines()[-1] == (
        f"netra-diag fanout: terminated (SIGTERM): no summary; nothing was recorded in {record}"
    )
    assert _names(record) == []
