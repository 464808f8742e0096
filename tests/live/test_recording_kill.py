"""``kill -9`` of a recording process mid-run leaves every frame it had received readable.

The child runs the embedded service and a recording session in one process, streams a long run
(slow timing, runs back to back), and reports the SHA-256 of every frame it has consumed on stdout.
The parent SIGKILLs it mid-run and checks each reported frame is in the cassette.
"""

from __future__ import annotations

import hashlib
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.recording import load_cassette

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


CHILD = textwrap.dedent(
    """
    import asyncio, hashlib, sys, time
    from netra_diag.emulator import EmulatorConfig, run_service
    from netra_diag.live import Session
    from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

    async def main(path):
        async with run_service(EmulatorConfig()) as svc:
            url = svc.ws_url("/ws", time_scale="0.05")
            token = mint_token("user-kill", key=LOCAL_DEV_SECRET, now=time.time())
            async with Session.connect(url, token=token, record=path, ping_every=0.05) as s:
                print("ready", flush=True)
                for i in range(1000):
                    await s.send_user_message(f"run {i}", thread_id=f"thread-{i}")
                    async for ev in s:
                        digest = hashlib.sha256(ev.event.raw.encode()).hexdigest()
                        print("frame", digest, flush=True)
                        if ev.type == "agent_completed":
                            break

    asyncio.run(main(sys.argv[1]))
    """
)


def test_sigkill_mid_run_leaves_every_received_frame_readable(tmp_path: Path) -> None:
    path = tmp_path / "killed.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    reported: list[str] = []
    try:
        deadline = time.monotonic() + 30 * TIMEOUT_FACTOR
        while len(reported) < 25:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            if line.startswith("frame "):
                reported.append(line.split()[1])
        if len(reported) < 25:
            proc.kill()
            proc.wait(timeout=10)
            err = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"child reported {len(reported)} frames: {err[-2000:]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        reader.join(timeout=10)
        # Frames consumed between the last read and the kill are still in the pipe.
        while True:
            rest = lines.get(timeout=5)
            if rest is None:
                break
            if rest.startswith("frame "):
                reported.append(rest.split()[1])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    cas = load_cassette(path)
    # At most the last line may be cut short by the kill.
    assert len(cas.warnings) <= 1
    if cas.warnings:
        assert cas.warnings[0].lineno == len(path.read_bytes().split(b"\n"))
    recorded = [
        hashlib.sha256((f.text or "").encode()).hexdigest() for f in cas.frames if f.dir == "in"
    ]
    missing = [d for d in reported if d not in set(recorded)]
    assert not missing, f"{len(missing)} of {len(reported)} reported frames not in the cassette"
    assert len(recorded) >= len(reported)
