"""Background RTT sampling: the first sample waits on a timer, later ones in a task, and
``stop()`` ends either before anything more is sent."""

from __future__ import annotations

import asyncio

from timeouts import scaled

from netra_diag.live.pinger import PingSchedule

# The sampling period; the waits below are multiples of it, so a slow machine scales them all.
PERIOD = scaled(0.05)


async def test_stopped_before_the_first_sample_never_pings() -> None:
    pings: list[float] = []

    async def ping() -> None:
        pings.append(asyncio.get_running_loop().time())

    schedule = PingSchedule(PERIOD, ping)
    schedule.stop()
    await asyncio.sleep(3 * PERIOD)
    assert pings == [] and schedule.task is None


async def test_samples_every_period_until_stopped() -> None:
    loop = asyncio.get_running_loop()
    start = loop.time()
    pings: list[float] = []

    async def ping() -> None:
        pings.append(loop.time() - start)

    schedule = PingSchedule(PERIOD, ping)
    await asyncio.sleep(3.6 * PERIOD)
    schedule.stop()
    task = schedule.task
    assert task is not None
    await asyncio.sleep(0)
    assert task.cancelled()
    count = len(pings)
    assert count >= 2 and pings[0] >= PERIOD  # the first one after one period, not at once
    await asyncio.sleep(2 * PERIOD)
    assert len(pings) == count


async def test_a_failing_ping_ends_the_sampling_quietly() -> None:
    calls = 0

    async def ping() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionError("closing")

    schedule = PingSchedule(PERIOD / 2, ping)
    await asyncio.sleep(2 * PERIOD)
    assert calls == 1 and schedule.task is not None and schedule.task.done()
    schedule.stop()
