"""``EventQueue``: order, several waiting consumers, and cancellation that loses no item."""

from __future__ import annotations

import asyncio

import pytest

from netra_diag.live.event_queue import EventQueue


async def test_items_come_out_in_order_with_and_without_waiting() -> None:
    q = EventQueue()
    for i in range(3):
        q.put_nowait(i)
    assert len(q) == q.qsize() == 3 and not q.empty()
    assert [q.popleft(), q.get_nowait(), await q.get()] == [0, 1, 2]
    with pytest.raises(asyncio.QueueEmpty):
        q.get_nowait()
    later = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait("x")
    assert await later == "x"


async def test_waiting_consumers_are_served_in_turn() -> None:
    q = EventQueue()
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await asyncio.sleep(0)
    for item in "abc":
        q.put_nowait(item)
    assert sorted(await asyncio.gather(*getters)) == ["a", "b", "c"]


async def test_a_cancelled_consumer_passes_its_wake_up_on() -> None:
    q = EventQueue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait("only")  # wakes ``first`` ...
    first.cancel()  # ... which is cancelled before it runs: ``second`` must get the item
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1) == "only"


async def test_a_timed_out_get_leaves_the_queue_usable() -> None:
    q = EventQueue()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await q.get()
    q.put_nowait(1)
    assert await asyncio.wait_for(q.get(), 1) == 1


async def test_put_many_is_put_nowait_of_each_item() -> None:
    q = EventQueue()
    getters = [asyncio.create_task(q.get()) for _ in range(3)]
    await asyncio.sleep(0)
    getters[0].cancel()  # a waiter gone before the items come: the others still get theirs
    q.put_many(["a", "b"])
    q.put_many([])
    assert sorted(await asyncio.wait_for(asyncio.gather(*getters[1:]), 1)) == ["a", "b"]
    q.put_many(["c", "d", "e"])  # nobody waiting: queued in order
    assert list(q.items) == ["c", "d", "e"] and len(q) == 3
    late = asyncio.create_task(q.get())
    assert await late == "c"
