"""SIGTERM for the live commands (``fanout``, ``probe``): unwound as Ctrl-C is, not a kill.

CI cancelling a job and ``timeout`` send SIGTERM, whose default action ends the process on the
spot: no summary, no line naming the recordings, sessions left without their close, cassette
files reserved for users not yet started left behind. ``until_sigterm`` has the event loop take
the signal and cancel the command's task instead, so it unwinds through the same ``finally``
blocks and ``except CancelledError`` answers as Ctrl-C; the command then exits 143
(``TERMINATED``), as a shell reports a process SIGTERM stopped.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["TERMINATED", "Terminated", "until_sigterm"]

_T = TypeVar("_T")

# 128 + SIGTERM, what a shell (and CI) reports for a process ``kill`` or ``timeout`` stopped.
TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM cancelled the command and it unwound with nothing to hand over (``fanout``
    before its ramp began; ``probe`` at any point). A ``KeyboardInterrupt``, so that code that
    does not know it is stopped as by Ctrl-C."""


async def until_sigterm(main: Coroutine[Any, Any, _T], got: list[int]) -> _T:
    """``await main``, which SIGTERM cancels as Ctrl-C does, appending ``signal.SIGTERM`` to
    ``got``: what ``main`` returns then is its answer to the cancel (``interruptible``'s
    partial result); ``Terminated`` if it had none and the cancel went through.

    The signal is taken by the event loop (``add_signal_handler``), which cancels the task:
    a Python handler that raised instead did so in whatever code ran when the signal came (an
    emulator timer starting its thread, a run's task), which then failed with a traceback
    rather than unwinding."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()

    def cancel() -> None:
        got.append(signal.SIGTERM)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # no such signals, or not main thread
        return await main
    try:
        return await main
    except asyncio.CancelledError:
        if not got or task is None:
            raise
        task.uncancel()
        raise Terminated from None
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
