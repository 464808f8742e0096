"""``precise_sleep``: never early, cancellable, and shared safely by loops in several threads."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from netra_diag.emulator.timers import precise_sleep


async def test_never_ends_before_its_deadline() -> None:
    loop = asyncio.get_running_loop()
    for delay in (0.0001, 0.002, 0.0137, 0.03):
        start = loop.time()
        await precise_sleep(delay)
        assert loop.time() - start >= delay


async def test_cancelled_sleep_raises_and_the_timer_thread_keeps_serving() -> None:
    task = asyncio.create_task(precise_sleep(5.0))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.monotonic()
    await precise_sleep(0.005)  # a later, earlier-due sleep is not stuck behind the 5 s one
    assert time.monotonic() - started < 4.0


def test_loops_in_several_threads_share_the_timer_thread() -> None:
    done: list[float] = []

    def worker(delay: float) -> None:
        async def main() -> None:
            start = time.monotonic()
            await asyncio.gather(*(precise_sleep(delay * k) for k in (1, 2, 3)))
            done.append(time.monotonic() - start)

        asyncio.run(main())

    threads = [threading.Thread(target=worker, args=(d,)) for d in (0.004, 0.007, 0.01)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(done) == 3
    assert all(elapsed >= 0.012 for elapsed in done)


def test_a_closed_loop_left_waiting_does_not_break_other_sleeps() -> None:
    async def abandon() -> None:
        asyncio.get_running_loop().create_task(precise_sleep(0.02))
        await asyncio.sleep(0)

    asyncio.run(abandon())  # the loop closes with the sleep still registered

    async def later() -> None:
        await asyncio.sleep(0.03)  # the stale entry comes due meanwhile
        await precise_sleep(0.005)

    asyncio.run(later())
