"""``netra-diag serve`` whose stdout reader has gone (``URL=$(netra-diag serve | head -1)``, a
log pipe that died): the service keeps serving. It used to stop at the first banner line that
could not be written, with "cannot listen on ...: Broken pipe" and exit 5, though it had
listened fine. A real process on a loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

import pytest
from timeouts import scaled

CLI = str(Path(sys.executable).with_name("netra-diag"))

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pipes and signals")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except (URLError, ConnectionError):
            time.sleep(0.1)
    return False


def test_service_outlives_a_closed_stdout() -> None:
    port = _free_port()
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line: every write fails
    proc = subprocess.Popen(
        [CLI, "serve", "--port", str(port)], stdout=write_end, stderr=subprocess.PIPE, text=True
    )
    os.close(write_end)
    try:
        healthy = _healthy(f"http://127.0.0.1:{port}/ws/health", scaled(15))
        assert healthy and proc.poll() is None, proc.communicate(timeout=scaled(5))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=scaled(15))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "cannot listen" not in err and "Traceback" not in err, err
    assert err.strip().endswith("stopped"), err
