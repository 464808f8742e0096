"""``probe --json`` stopped by SIGTERM or Ctrl-C still prints one JSON object on stdout (what
stopped it, the exit code, the cassette): it printed nothing, and a CI step piping it to jq
failed on that instead of on the interrupt. A real process against the embedded reference
service on loopback, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from timeouts import scaled

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals to a child process")


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]
)
def test_a_stopped_json_probe_prints_one_object(
    tmp_path: Path, sig: signal.Signals, code: int, name: str
) -> None:
    cassette = tmp_path / "probe.jsonl"
    child = subprocess.Popen(
        [CLI, "probe", "--json", "--time-scale", "1", "--record", str(cassette)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + scaled(30)
        while not (cassette.exists() and '"type":"agent_started"' in cassette.read_text()):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "no run started"
            time.sleep(0.05)
        child.send_signal(sig)
        out, err = child.communicate(timeout=scaled(30))
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == code, err
    shown = json.loads(out)
    assert shown == {"interrupted_by": name, "exit_code": code, "recording": str(cassette)}
