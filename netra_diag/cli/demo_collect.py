"""The demo's recording step: ``investigation.collect`` with Ctrl-C handled and, without a
terminal for the fan-out's progress bar (CI logs), a progress line every ``HEARTBEAT_S``."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path
from typing import Any

from netra_diag.wording import plural

__all__ = ["HEARTBEAT_S", "collect_with_progress"]

# A silent minute in a CI log reads as a hang.
HEARTBEAT_S = 10.0


def _say(text: str) -> None:
    print(text, flush=True)


def collect_with_progress(recordings: Path, config: Any) -> Any:
    """``investigation.collect`` in a fresh event loop, Ctrl-C cancelling it cleanly.

    Every SIGINT while the loop runs cancels the collection (the fan-out's sessions close as
    they unwind), and ``KeyboardInterrupt`` is raised here once the loop has finished. Without
    this, ``asyncio.run`` cancels on the first SIGINT but raises ``KeyboardInterrupt`` inside
    whatever task runs at a second one (a terminal's Ctrl-C often arrives twice: ``timeout``
    forwards it, or the key is pressed again): that task dies with it and the loop logs "Task
    exception was never retrieved" and its traceback after ``interrupted``."""
    from netra_diag import investigation

    interrupted = False

    async def main() -> Any:
        nonlocal interrupted
        task = asyncio.current_task()
        assert task is not None

        def on_sigint() -> None:
            nonlocal interrupted
            interrupted = True
            task.cancel()

        # Left installed until the loop closes, so a Ctrl-C while the cancelled tasks unwind
        # cancels again instead of raising inside one of them.
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_sigint)
        bar = sys.stderr.isatty()
        beat = None if bar else asyncio.create_task(_heartbeat(config, recordings))
        try:
            return await investigation.collect(recordings, config, progress=bar)
        except asyncio.CancelledError:
            if interrupted:
                return None
            raise
        finally:
            if beat is not None:
                beat.cancel()

    collection = asyncio.run(main())
    if interrupted:
        partial = f"; partial recordings in {recordings}" if recordings.is_dir() else ""
        raise KeyboardInterrupt(f"nothing analysed{partial}")
    return collection


def _runs_recorded(recordings: Path) -> int:
    """Runs that have ended so far, from the cassettes as they are written (flushed per frame):
    each run leaves one ``run_end`` mark."""
    done = 0
    for path in recordings.glob("*.jsonl"):
        with contextlib.suppress(OSError):
            done += path.read_bytes().count(b'"name":"run_end"')
    return done


async def _heartbeat(config: Any, recordings: Path) -> None:
    """Every ``HEARTBEAT_S`` while recording: time so far and runs ended of those due."""
    started = time.monotonic()
    total = config.users * config.runs + 1  # the agent turn is one run more
    _say(f"  recording {plural(total, 'run')} (a progress line every {HEARTBEAT_S:g} s) ...")
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        done = await asyncio.to_thread(_runs_recorded, recordings)
        _say(
            f"  still recording after {time.monotonic() - started:.0f} s: "
            f"{done} of {total} runs ended"
        )
