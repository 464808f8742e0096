"""``netra-diag probe --record`` stopped by SIGTERM (CI cancelling a job, ``timeout``) or Ctrl-C
while its run is under way: the session is closed (its close is in the cassette), and the last
line on stderr names the cassette holding what was received. SIGTERM killed the process on the
spot: no line at all and a cassette without its close; Ctrl-C printed a bare 'interrupted'.
A real process against the embedded reference service on loopback, real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mid_run import signal_mid_run

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals to a child process")


def _stopped_under_way(cassette: Path, sig: signal.Signals) -> tuple[int, str, str]:
    # Realistic pace: the run takes seconds and is still going when the signal comes.
    return signal_mid_run(["probe", "--time-scale", "1", "--record", str(cassette)], cassette, sig)


@pytest.mark.parametrize(
    ("sig", "code", "said"),
    [(signal.SIGTERM, 143, "terminated (SIGTERM)"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_stopped_probe_closes_and_names_its_cassette(
    tmp_path: Path, sig: signal.Signals, code: int, said: str
) -> None:
    cassette = tmp_path / "probe.jsonl"
    got, out, err = _stopped_under_way(cassette, sig)
    assert got == code, err
    assert err.strip().splitlines()[-1] == (
        f"{said}: the cassette {cassette} holds what was received until then"
    )
    assert "Traceback" not in err and "eyJ" not in out + err
    assert "← agent_started" in out, out  # the frames came out live
    records = [json.loads(line) for line in cassette.read_text().splitlines()]
    kinds = [(r["kind"], r.get("name") or r.get("type")) for r in records]
    assert ("frame", "agent_started") in kinds, kinds
    # the session was closed by the client, not cut: its close is recorded
    assert ("mark", "close") in kinds, kinds
    assert ("frame", "agent_completed") not in kinds, kinds


def test_help_documents_the_signals() -> None:
    out = subprocess.run([CLI, "probe", "--help"], capture_output=True, text=True).stdout
    assert "130 interrupted (Ctrl-C), 143 terminated (SIGTERM" in " ".join(out.split())
