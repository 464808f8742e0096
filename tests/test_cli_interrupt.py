"""Ctrl-C (SIGINT) stops `report` and `demo` with exit 130 and one line saying where the partial
recordings are; no report is written and no kernel is left running. Real processes, real
signal, the embedded reference service on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil  # ipykernel's own dependency
import pytest

CLI = str(Path(sys.executable).with_name("netra-diag"))

# Slow enough (realistic pace) that the notebook is still collecting when the signal comes.
SLOW_COLLECTION = ("-p", "users", "10", "-p", "runs", "3", "-p", "time_scale", "1.0")

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")


def _interrupt_once(
    command: list[str], ready: Path, settle_s: float = 1.0
) -> tuple[int, str, list[psutil.Process]]:
    """Start ``command``, wait until ``ready`` exists (the run is under way), then SIGINT it
    (as a terminal's Ctrl-C does) and return its exit status, its stderr, and the kernels it
    had started by then (its descendants, wherever their session)."""
    # Popen restores SIGINT's default disposition, unlike a shell's background job.
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not ready.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, f"{ready} never appeared"
            time.sleep(0.1)
        time.sleep(settle_s)
        kernels = [
            p
            for p in psutil.Process(child.pid).children(recursive=True)
            if any("ipykernel_launcher" in part for part in p.cmdline())
        ]
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    return child.returncode, err, kernels


def _still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    # Shortly: a kernel left alone exits by itself about a second after its parent is gone.
    _, alive = psutil.wait_procs(processes, timeout=0.3)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def test_an_interrupted_report_writes_nothing_and_says_where_the_recordings_are(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    code, err, kernels = _interrupt_once(
        [CLI, "report", "investigation_report", "--out", str(out), *SLOW_COLLECTION],
        out / "recordings",
    )
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    assert (
        last == f"interrupted: no report written to {out}; partial recordings in {out}/recordings"
    )
    assert "Traceback" not in err
    assert not list(out.glob("investigation_report*")), sorted(p.name for p in out.iterdir())
    assert list((out / "recordings").glob("*.jsonl"))
    # the kernel (in a session of its own: the Ctrl-C never reached it) was killed
    assert kernels and not _still_running(kernels)


def test_an_interrupted_demo_keeps_its_recordings_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    code, err, _ = _interrupt_once(
        [CLI, "demo", "--out", str(out), "--users", "20", "--runs", "3", "--time-scale", "1.0"],
        out / "recordings",
    )
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("interrupted: "), err
    assert f"{out}/recordings" in last
    assert "Traceback" not in err and "never retrieved" not in err
    assert not list(out.glob("investigation_report*"))


def test_a_demo_interrupted_during_its_report_leaves_no_report_and_no_kernel(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo"
    # collection.json is written when the recordings are complete: the report child is next
    code, err, kernels = _interrupt_once(
        [CLI, "demo", "--out", str(out), "--users", "4", "--runs", "1"],
        out / "recordings" / "collection.json",
        settle_s=3.0,
    )
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    assert last == f"interrupted: recordings kept in {out}/recordings", err
    assert "Traceback" not in err
    assert not list(out.glob("investigation_report*")), sorted(p.name for p in out.iterdir())
    assert not _still_running(kernels)
