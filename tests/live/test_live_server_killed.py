"""``netra-diag serve`` killed while ``probe --record`` runs: the run is cut by a 1006, exit 5,
and the cassette keeps every frame received before the cut; the output names it (it named the
cassette nowhere, on success or failure). Real processes on a loopback port, a real SIGKILL."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mid_run import a_run_started, wait_for
from timeouts import scaled

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL to a child process")


def _serve() -> tuple[subprocess.Popen[str], str]:
    """``netra-diag serve --port 0`` at realistic pace (a run takes seconds), and its /ws URL."""
    proc = subprocess.Popen(
        [CLI, "serve", "--port", "0", "--time-scale", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    match = re.search(r"listening on (ws://127\.0\.0\.1:\d+/ws)", proc.stdout.readline())
    if not match:
        proc.kill()
        proc.communicate()
        pytest.fail("serve did not say where it listens")
    return proc, match.group(1)


def _probe_cut(cassette: Path, *extra: str) -> tuple[int, str]:
    """``probe --record CASSETTE`` against a ``serve`` SIGKILLed once the run has started."""
    server, url = _serve()
    try:
        child = subprocess.Popen(
            [CLI, "probe", url, "--sub", "u1", "--record", str(cassette), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_for(child, lambda: a_run_started(cassette), "no run started")
        server.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=scaled(30))
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()
    return child.returncode, out


def _frames_in(cassette: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in cassette.read_text().splitlines()]
    return [d for d in lines if d.get("kind") == "frame" and d.get("dir") == "in"]


def test_probe_names_the_cassette_kept_up_to_the_cut(tmp_path: Path) -> None:
    cassette = tmp_path / "cut.jsonl"
    code, out = _probe_cut(cassette)
    assert code == 5, out
    assert "== run: closed" in out and "== close: Closed 1006" in out, out
    kept = _frames_in(cassette)
    types = [d["type"] for d in kept]
    assert "agent_started" in types and "agent_completed" not in types, types
    lines = out.splitlines()
    assert lines[-2] == (
        f"== recording: {cassette} ({len(kept)} frames received, each written as it came)"
    ), out
    assert lines[-1] == "exit 5 (connection)"
    closes = [json.loads(x) for x in cassette.read_text().splitlines() if '"close"' in x]
    assert any(d.get("name") == "close" and d["data"]["code"] == 1006 for d in closes)


def test_probe_json_counts_the_frames_kept(tmp_path: Path) -> None:
    cassette = tmp_path / "cut.jsonl"
    code, out = _probe_cut(cassette, "--json")
    doc = json.loads(out)
    assert code == doc["exit_code"] == 5, doc
    assert doc["recording"] == str(cassette)
    assert doc["recorded_frames_in"] == len(_frames_in(cassette)) >= 2, doc


def test_a_failed_connect_names_its_cassette_too(tmp_path: Path) -> None:
    # A server that is gone before the probe starts: the cassette holds the attempt.
    server, url = _serve()
    server.kill()
    server.communicate()
    cassette = tmp_path / "refused.jsonl"
    done = subprocess.run(
        [CLI, "probe", url, "--record", str(cassette)],
        capture_output=True,
        text=True,
        timeout=scaled(60),
    )
    assert done.returncode == 5, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-3].startswith("== failed: ConnectFailed: could not connect to "), done.stdout
    assert lines[-2] == f"== recording: {cassette} (the connect attempts, as they happened)"
    assert '"connect_start"' in cassette.read_text()


@pytest.mark.parametrize(
    ("stop", "closed"),
    [
        (signal.SIGTERM, "closed 1001 (going away: server shut down)"),
        (signal.SIGKILL, "closed 1006 (no close frame: server gone)"),
    ],
)
def test_fanout_when_the_server_goes_mid_run(
    tmp_path: Path, stop: signal.Signals, closed: str
) -> None:
    # 'serve' stopped mid-run closes every session 1001 (going away): that was exit 3, a
    # contract problem; killed outright, 1006, exit 5. Both are the connection lost.
    server, url = _serve()
    record = tmp_path / "cassettes"
    try:
        child = subprocess.Popen(
            [CLI, "fanout", url, "--users", "3", "--runs", "2", "--record", str(record)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(child, lambda: a_run_started(record), "no run started")
        server.send_signal(stop)
        out, err = child.communicate(timeout=scaled(60))
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()
    assert child.returncode == 5, out + err
    errors = next(line for line in out.splitlines() if line.startswith("  errors by class:"))
    assert f"{closed} ×" in errors, out
    assert out.splitlines()[-1] == "exit code 5 (connection)"
    assert f"  cassettes:          {record}" in out.splitlines()
    # what came before the fault is kept, with the close that ended it
    kept = sorted(record.glob("*.jsonl"))
    assert len(kept) == 3
    assert any('"type":"agent_started"' in p.read_text() for p in kept)
    code = 1001 if stop is signal.SIGTERM else 1006
    assert all(f'"code":{code}' in p.read_text() for p in kept)
