"""What a fan-out does to its own process so that what it measures is the server, not the client:
room for a descriptor per socket (``RLIMIT_NOFILE``), the garbage collector's full collections
held off and timed, the event loop's lag sampled, and the gates that keep every user's session
open until the last one is done.

Used by ``live.fanout``; no knowledge of sessions or results.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import resource
import time
from collections.abc import Callable, Iterator, Sequence

__all__ = [
    "Countdown",
    "collector_quiet",
    "gc_summary",
    "lag_summary",
    "percentile",
    "raise_nofile_limit",
    "sample_loop_lag",
    "sleep_until",
]


def raise_nofile_limit(needed: int) -> tuple[int, int]:
    """Raise this process's soft ``RLIMIT_NOFILE`` towards the hard limit when ``needed``
    descriptors would not fit. Returns the (soft, hard) limits now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = hard if hard == resource.RLIM_INFINITY else min(hard, max(needed, soft))
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft, hard


@contextlib.contextmanager
def collector_quiet(enabled: bool) -> Iterator[list[tuple[int, float]]]:
    """Keep the garbage collector's full collections out of the measurement, and time every
    collection that still runs (yields the list of ``(generation, ms)`` pauses).

    A full collection walks every tracked object; with a thousand sessions' events alive that
    stops the event loop for 100-350 ms (measured), and every open session then sees that pause
    as latency the server did not cause. Young-generation collections cost too: every object a
    session keeps is walked twice before it is promoted, 0.1 ms of client CPU per session in a
    1,000-user fan-out (``benchmarks/bench_fanout.py``: 0.80 -> 0.67-0.73 ms per connect
    without them). So the collector is switched off for the fan-out (objects that existed before
    are frozen, ``gc.freeze``: they are not garbage) and everything is undone on exit, where the
    next collection finds whatever cyclic garbage the fan-out left (reference counting frees
    the rest as usual). For processes that own their event loop (the CLI, benchmarks): a
    notebook kernel's loop should not have its collector switched off under it."""
    pauses: list[tuple[int, float]] = []
    started = [0.0]

    def timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((info.get("generation", -1), (time.perf_counter() - started[0]) * 1e3))

    threshold = gc.get_threshold()
    froze = enabled and gc.get_freeze_count() == 0  # never undo a freeze made by the caller
    gc.callbacks.append(timer)
    if froze:
        gc.freeze()
    was_on = gc.isenabled()
    if enabled:
        gc.set_threshold(threshold[0], threshold[1], max(threshold[2], 1 << 30))
        gc.disable()
    try:
        yield pauses
    finally:
        if enabled and was_on:
            gc.enable()
        gc.set_threshold(*threshold)
        if froze:
            gc.unfreeze()
        gc.callbacks.remove(timer)


class Countdown:
    """Set once each of ``n`` participants has called ``done`` (each counts once, however often
    it calls; a participant is named by an int key). ``on_set`` runs when it is set."""

    def __init__(self, n: int, on_set: Callable[[], None] | None = None) -> None:
        self._left = n
        self._seen: set[int] = set()
        self._event = asyncio.Event()
        self._on_set = on_set
        if n <= 0:
            self._set()

    def _set(self) -> None:
        if not self._event.is_set():
            self._event.set()
            if self._on_set is not None:
                self._on_set()

    def done(self, key: int) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        self._left -= 1
        if self._left <= 0:
            self._set()

    async def wait(self) -> None:
        await self._event.wait()


async def sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    """Sleep until ``loop.time()`` reaches ``deadline`` (no-op once it has)."""
    delay = deadline - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def sample_loop_lag(samples: list[float], interval: float = 0.01) -> None:
    """How late the event loop runs a timer: the time one process of 1,000 sessions spends with
    the loop busy, which is latency every session measures but the server did not cause.
    Appends milliseconds to ``samples`` until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(interval)
        samples.append(max(0.0, (loop.time() - start - interval) * 1e3))


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0..1) of ``values``, rounded to µs; 0 for none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return round(ordered[k], 3)


def lag_summary(samples: Sequence[float]) -> dict[str, float]:
    """``p50``/``p99``/``max`` of the loop-lag samples, in ms."""
    return {
        "p50": percentile(samples, 0.5),
        "p99": percentile(samples, 0.99),
        "max": percentile(samples, 1.0),
    }


def gc_summary(pauses: Sequence[tuple[int, float]]) -> dict[str, float]:
    """Count, full collections, longest and total pause (ms) of the timed collections."""
    times = [ms for _, ms in pauses]
    return {
        "count": len(times),
        "full": sum(1 for gen, _ in pauses if gen == 2),
        "max": round(max(times, default=0.0), 3),
        "total": round(sum(times), 3),
    }
