"""How ``netra-diag fanout`` stops early, and how it prints a result, whole or partial.

Ctrl-C: ``asyncio.run`` cancels the fan-out's task; ``run_fanout`` then has every user stop and
close its session and hands over what was measured until then (``interruptible``), which is
printed as a summary marked INTERRUPTED with exit 130 (``report_interrupted``). SIGTERM unwinds
the same way (``until_sigterm``) but prints no summary: whoever sends it (CI cancelling a job,
``timeout``) is not reading one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from netra_diag.live.fanout import FanoutResult

__all__ = [
    "INTERRUPTED",
    "Terminated",
    "interruptible",
    "print_result",
    "report_interrupted",
    "until_sigterm",
]

_T = TypeVar("_T")

# 128 + SIGINT, as ``main`` returns for every command Ctrl-C stops and a shell reports it.
INTERRUPTED = 128 + signal.SIGINT


class Terminated(KeyboardInterrupt):
    """SIGTERM: the fan-out was cancelled and unwound as for Ctrl-C, with no summary. The default
    action killed the process on the spot, leaving every cassette file reserved for a user not
    yet started behind as a hidden ``.reserved`` file."""


async def until_sigterm(main: Coroutine[Any, Any, _T]) -> _T:
    """``await main``, which SIGTERM cancels as Ctrl-C does; ``Terminated`` once it has unwound.

    The signal is taken by the event loop (``add_signal_handler``), which cancels the task:
    a Python handler that raised instead did so in whatever code ran when the signal came (an
    emulator timer starting its thread, a run's task), which then failed with a traceback
    rather than unwinding the fan-out."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    got: list[int] = []

    def cancel() -> None:
        got.append(signal.SIGTERM)
        if task is not None:
            task.cancel()

    try:
        loop.add_signal_handler(signal.SIGTERM, cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # no such signals, or not main thread
        return await main
    try:
        result = await main
    except asyncio.CancelledError:
        if not got or task is None:
            raise
        task.uncancel()
        raise Terminated from None
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
    if got:
        # (``interruptible`` answered the cancel with the partial result: SIGTERM prints none)
        raise Terminated
    return result


async def interruptible(
    fanout: Coroutine[Any, Any, FanoutResult], partial: list[FanoutResult]
) -> FanoutResult:
    """``await fanout`` (a ``run_fanout`` whose ``on_interrupt`` appends to ``partial``); after
    Ctrl-C, the partial result it handed over instead. The cancel is answered by that summary,
    so it is taken back, and a service embedded in this task still shuts down as usual."""
    try:
        return await fanout
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if not partial or task is None:
            raise  # stopped before the ramp: nothing was measured
        task.uncancel()
        return partial[0]


def print_result(
    result: FanoutResult, injected: dict[str, int] | None, code: int, name: str, as_json: bool
) -> None:
    """The summary (or the JSON document), the faults the embedded service injected, and the
    exit code with its name."""
    if as_json:
        doc = {**result.to_dict(), "injected_faults": injected, "exit_code": code}
        print(json.dumps(doc, indent=2))
        return
    print(result.summary())
    if injected:
        how = ", ".join(f"{k} ×{v}" for k, v in sorted(injected.items()))
        # What the service did, to set against what the lines above found.
        print(f"  injected faults:    {how} (the embedded service's fault log)")
    print(f"exit code {code} ({name})")


def report_interrupted(
    args: argparse.Namespace, result: FanoutResult, injected: dict[str, int] | None
) -> int:
    """The partial result of a fan-out stopped by Ctrl-C, and on stderr the ``interrupted:``
    line ``main`` prints for every command, naming the cassettes kept."""
    print_result(result, injected, INTERRUPTED, "interrupted", args.json)
    kept = f"; the cassettes recorded so far are in {args.record}" if args.record else ""
    print(f"interrupted: summary of what was measured until then{kept}", file=sys.stderr)
    return INTERRUPTED
