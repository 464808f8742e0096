"""Ctrl-C during ``netra-diag fanout``: the summary of what was measured until then, marked
INTERRUPTED, exit 130, and with --record a line naming the folder whose cassettes hold what was
recorded, as ``fanout --help`` says. A real process and a real SIGINT, the embedded reference
service on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mid_run import signal_mid_run, wait_for
from timeouts import scaled

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")


def _interrupt_under_way(argv: list[str], record: Path) -> tuple[int, str, str]:
    """Run ``netra-diag fanout ARGV --record RECORD``, SIGINT it once a cassette holds an agent
    event (the runs under way), and return its exit status, stdout and stderr."""
    argv = ["fanout", *argv, "--record", str(record), "--no-progress"]
    return signal_mid_run(argv, record, signal.SIGINT, seconds=60)


# Realistic pace: five runs of a few seconds each, still going when the signal comes.
SLOW = ["--users", "3", "--runs", "5", "--time-scale", "1"]


def test_ctrl_c_summarises_what_was_measured(tmp_path: Path) -> None:
    # Ctrl-C used to print only 'interrupted': nothing of the runs done or under way.
    record = tmp_path / "cassettes"
    code, out, err = _interrupt_under_way(SLOW, record)
    assert code == 130, err
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("fan-out 3 users × 5 runs"))
    assert "INTERRUPTED (Ctrl-C) after" in head, out
    runs = next(line for line in lines if line.startswith("  runs completed:"))
    assert "in flight when interrupted" in runs, out
    assert lines[-1] == "exit code 130 (interrupted)", out
    assert err.strip().splitlines()[-1] == (
        f"interrupted: summary of what was measured until then; "
        f"the cassettes recorded so far are in {record}"
    )
    assert "Traceback" not in err
    assert "eyJ" not in out + err
    assert len(list(record.glob("*.jsonl"))) == 3


def test_ctrl_c_with_json_accounts_for_every_run(tmp_path: Path) -> None:
    code, out, err = _interrupt_under_way([*SLOW, "--json"], tmp_path / "cassettes")
    assert code == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["exit_code"] == 130
    assert doc["runs_interrupted"] >= 1, doc
    done = ("runs_completed", "runs_not_attempted", "runs_interrupted", "runs_not_sent")
    failed = sum(doc["errors"].values())  # each run that failed, once by its class
    assert sum(doc[k] for k in done) + failed == doc["runs_total"] == 15, doc


def test_help_documents_the_interrupt() -> None:
    out = subprocess.run(
        [CLI, "fanout", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "130 interrupted (Ctrl-C)" in out


def test_sigterm_unwinds_and_leaves_no_reserved_files(tmp_path: Path) -> None:
    # SIGTERM (CI cancelling a job, `timeout`) used to kill the process outright: the cassette
    # files reserved for users not yet started stayed behind as hidden '.reserved' files. It
    # then unwound but printed no summary; now it prints the partial one, as Ctrl-C does.
    record = tmp_path / "cassettes"
    argv = [CLI, "fanout", "--users", "12", "--ramp", "2/s", "--record", str(record)]
    child = subprocess.Popen(
        [*argv, "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(
            child,
            lambda: any("agent_completed" in p.read_text() for p in record.glob("*.jsonl")),
            "no run finished",
            seconds=60,
            poll=0.1,
        )
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=scaled(30))
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 128 + signal.SIGTERM, err
    assert "INTERRUPTED (SIGTERM) after" in out.splitlines()[1], out  # after the service's line
    assert "not connected yet when interrupted" in out, out
    assert out.splitlines()[-1] == "exit code 143 (terminated)", out
    assert (
        f"terminated (SIGTERM): summary of what was measured until then; "
        f"the cassettes recorded so far are in {record}" in err
    )
    assert "Traceback" not in err
    left = sorted(p.name for p in record.iterdir())
    assert left and all(name.endswith(".jsonl") and not name.startswith(".") for name in left), left


def test_help_documents_sigterm() -> None:
    out = subprocess.run(
        [CLI, "fanout", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "143 terminated (SIGTERM" in out and "INTERRUPTED (SIGTERM)" in out
