"""``probe --json`` stopped by SIGTERM or Ctrl-C still prints one JSON object on stdout (what
stopped it, the exit code, the cassette): it printed nothing, and a CI step piping it to jq
failed on that instead of on the interrupt. A real process against the embedded reference
service on loopback, real signals."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from mid_run import signal_mid_run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals to a child process")


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "SIGINT")]
)
def test_a_stopped_json_probe_prints_one_object(
    tmp_path: Path, sig: signal.Signals, code: int, name: str
) -> None:
    cassette = tmp_path / "probe.jsonl"
    argv = ["probe", "--json", "--time-scale", "1", "--record", str(cassette)]
    returncode, out, err = signal_mid_run(argv, cassette, sig)
    assert returncode == code, err
    shown = json.loads(out)
    assert shown == {"interrupted_by": name, "exit_code": code, "recording": str(cassette)}
