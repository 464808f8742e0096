"""How ``netra-diag fanout`` stops early, and how it prints a result, whole or partial.

Ctrl-C: ``asyncio.run`` cancels the fan-out's task; ``run_fanout`` then has every user stop and
close its session and hands over what was measured until then (``interruptible``), which is
printed as a summary marked INTERRUPTED with exit 130 (``report_interrupted``). SIGTERM unwinds
the same way (``sigterm_unwinds``) but prints no summary: whoever sends it (CI cancelling a job,
``timeout``) is not reading one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Coroutine, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netra_diag.live.fanout import FanoutResult

__all__ = [
    "INTERRUPTED",
    "Terminated",
    "interruptible",
    "print_result",
    "report_interrupted",
    "sigterm_unwinds",
]

# 128 + SIGINT, as ``main`` returns for every command Ctrl-C stops and a shell reports it.
INTERRUPTED = 128 + signal.SIGINT


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the loop runs so that ``asyncio.run`` unwinds the fan-out as it does
    for Ctrl-C: the default action killed the process on the spot, leaving every cassette file
    reserved for a user not yet started behind as a hidden ``.reserved`` file."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:  # not the main thread: leave the signal alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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
