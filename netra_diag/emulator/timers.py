"""Sleeps that end when they should: the reference service's injected delays.

``asyncio.sleep`` wakes through the selector's timeout, which ``selectors.EpollSelector`` rounds
up to whole milliseconds: every delay ends 0-1 ms late (0.5 ms on average, measured by
``benchmarks/bench_latency_accuracy.py``), so a service told to wait 10 ms waited 10.5. That is
the service misreporting itself, and it hides sub-millisecond errors of the client measuring it.

``precise_sleep`` keeps the asyncio timer (it still fires whenever the loop gets there first, e.g.
while the loop is busy) and adds a wake-up from one timer thread, which sleeps on a condition
variable (nanosecond timeouts, ``sem_clockwait``) and wakes the loop through
``call_soon_threadsafe`` at the deadline. Whichever comes first ends the sleep. An idle loop is
then woken within ~0.1 ms of the deadline instead of up to 1 ms after it.

No library offers this for asyncio on Python 3.11 (``os.timerfd_create`` arrived in 3.13; uvloop's
timers are millisecond-granular too).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time

__all__ = ["precise_sleep"]

# Below this the thread's wake-up costs more than the rounding it saves.
_MIN_DELAY_S = 0.0002


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


def _wake_all(futs: list[asyncio.Future[None]]) -> None:
    for fut in futs:
        if not fut.done():
            fut.set_result(None)


class _TimerThread:
    """One daemon thread serving every loop of the process: a heap of (deadline, seq, loop,
    future); deadlines on ``time.monotonic``, the clock of asyncio's loops."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def add(
        self, deadline: float, loop: asyncio.AbstractEventLoop, fut: asyncio.Future[None]
    ) -> None:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="netra-service-timers", daemon=True
                )
                self._thread.start()
            earliest = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, next(self._seq), loop, fut))
            if earliest:
                self._cond.notify()

    def _run(self) -> None:
        heap = self._heap
        while True:
            due: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
            with self._cond:
                while not due:
                    if not heap:
                        self._cond.wait()
                        continue
                    wait = heap[0][0] - time.monotonic()
                    if wait > 0:
                        self._cond.wait(wait)
                        continue
                    now = time.monotonic()
                    while heap and heap[0][0] <= now:
                        _, _, loop, fut = heapq.heappop(heap)
                        due.setdefault(loop, []).append(fut)
            for loop, futs in due.items():
                # (futures done already: the asyncio timer got there first, or the sleep was
                # cancelled)
                waiting = [fut for fut in futs if not fut.done()]
                if not waiting:
                    continue
                # One wake-up per loop, not per sleep: each call_soon_threadsafe writes to the
                # loop's self-pipe, and when many runs are due in the same instant (200
                # sessions started together) those system calls, made one by one, delayed the
                # sends they were waking. RuntimeError: that loop is closed, so nobody is
                # waiting any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_wake_all, waiting)


_TIMERS = _TimerThread()


async def precise_sleep(delay: float) -> None:
    """``asyncio.sleep(delay)`` that ends within ~0.1 ms of the deadline on an idle loop."""
    if delay < _MIN_DELAY_S:
        await asyncio.sleep(delay)
        return
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[None] = loop.create_future()
    deadline = loop.time() + delay
    handle = loop.call_at(deadline, _wake, fut)
    _TIMERS.add(deadline, loop, fut)
    try:
        await fut
    finally:
        handle.cancel()
