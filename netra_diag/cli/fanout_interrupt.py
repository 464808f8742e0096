"""How ``netra-diag fanout`` stops early, and how it prints a result, whole or partial.

Ctrl-C: ``asyncio.run`` cancels the fan-out's task; ``run_fanout`` then has every user stop and
close its session and hands over what was measured until then (``interruptible``), which is
printed as a summary marked INTERRUPTED with exit 130 (``report_interrupted``). SIGTERM (CI
cancelling a job, ``timeout``) unwinds the same way (``cli.sigterm``) and prints the same
partial summary, marked INTERRUPTED (SIGTERM), with exit 143: a job killed for taking too long
is exactly the one whose log must say how far it got.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import signal
import sys
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from netra_diag.cli.sigterm import TERMINATED

if TYPE_CHECKING:
    from netra_diag.live.fanout import FanoutResult

__all__ = [
    "INTERRUPTED",
    "interruptible",
    "print_result",
    "report_interrupted",
]

# 128 + SIGINT, as ``main`` returns for every command Ctrl-C stops and a shell reports it.
INTERRUPTED = 128 + signal.SIGINT


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
    args: argparse.Namespace,
    result: FanoutResult,
    injected: dict[str, int] | None,
    *,
    terminated: bool = False,
) -> int:
    """The partial result of a fan-out stopped by Ctrl-C (exit 130) or SIGTERM (``terminated``,
    exit 143), and on stderr the line ``main`` prints for every command Ctrl-C stops
    (``interrupted:``, or ``terminated (SIGTERM):``), naming the cassettes kept."""
    if terminated:
        # (a fan-out that had finished when the signal came keeps its whole summary)
        result = dataclasses.replace(result, interrupted_by="SIGTERM")
        code, name, line = TERMINATED, "terminated", "terminated (SIGTERM)"
    else:
        code, name, line = INTERRUPTED, "interrupted", "interrupted"
    print_result(result, injected, code, name, args.json)
    kept = f"; the cassettes recorded so far are in {args.record}" if args.record else ""
    print(f"{line}: summary of what was measured until then{kept}", file=sys.stderr, flush=True)
    return code
