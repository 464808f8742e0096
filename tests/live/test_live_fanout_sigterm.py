"""SIGTERM to ``netra-diag fanout`` (a CI job cancelled by its timeout, ``timeout 60 ...``): the
same partial summary as Ctrl-C, its first line INTERRUPTED (SIGTERM), exit 143, and the
cassettes kept. Real processes: ``netra-diag serve`` on a loopback port, ``netra-diag fanout``
against it, a real SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mid_run import signal_mid_run
from timeouts import scaled

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGTERM to a child process")


@pytest.fixture
def served() -> Iterator[str]:
    """``netra-diag serve --port 0`` at realistic pace (runs take seconds): its /ws URL."""
    proc = subprocess.Popen(
        [CLI, "serve", "--port", "0", "--time-scale", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        match = re.search(r"listening on (ws://127\.0\.0\.1:\d+/ws)", first)
        assert match, first + proc.stderr.read() if proc.stderr else first
        yield match.group(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=scaled(15))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def _terminate_under_way(url: str, record: Path, *extra: str) -> tuple[int, str, str]:
    """``netra-diag fanout URL`` (3 users × 5 runs), SIGTERM once a cassette holds an agent
    event; its exit status, stdout and stderr."""
    argv = ["fanout", url, "--users", "3", "--runs", "5", "--record", str(record)]
    return signal_mid_run([*argv, "--no-progress", *extra], record, signal.SIGTERM, seconds=60)


def test_sigterm_prints_the_partial_summary(served: str, tmp_path: Path) -> None:
    # SIGTERM used to print only 'terminated (SIGTERM): no summary': a CI log cut by a timeout
    # said nothing of the runs done or under way.
    record = tmp_path / "cassettes"
    code, out, err = _terminate_under_way(served, record)
    assert code == 143, err
    lines = out.splitlines()
    head = lines[0]
    assert head.startswith(f"fan-out 3 users × 5 runs against {served}"), out
    assert "INTERRUPTED (SIGTERM) after" in head and "what was measured until then" in head, out
    runs = next(line for line in lines if line.startswith("  runs completed:"))
    assert "in flight when interrupted" in runs and "/15" in runs, out
    assert lines[-1] == "exit code 143 (terminated)", out
    assert err.strip().splitlines()[-1] == (
        "terminated (SIGTERM): summary of what was measured until then; "
        f"the cassettes recorded so far are in {record}"
    )
    assert "Traceback" not in err and "eyJ" not in out + err
    kept = sorted(record.glob("*.jsonl"))
    assert len(kept) == 3 and any('"type":"agent_started"' in p.read_text() for p in kept)
    assert not [p for p in record.iterdir() if p.name.startswith(".")]


def test_sigterm_with_json_names_the_signal(served: str, tmp_path: Path) -> None:
    code, out, err = _terminate_under_way(served, tmp_path / "cassettes", "--json")
    assert code == 143, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["interrupted_by"] == "SIGTERM", doc
    assert doc["exit_code"] == 143
    done = ("runs_completed", "runs_not_attempted", "runs_interrupted", "runs_not_sent")
    failed = sum(doc["errors"].values())
    assert sum(doc[k] for k in done) + failed == doc["runs_total"] == 15, doc
