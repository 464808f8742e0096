"""The queue between a session's receive path and its consumers (a run, ``async for``).

``asyncio.Queue`` costs about a microsecond per item on each side (maxsize bookkeeping, the
``join`` counter and its event, a coroutine call per ``get`` even when an item is waiting). At
tens of thousands of frames per second that was a measurable part of the recorder's cost
(``benchmarks/bench_recorder.py``). This queue is unbounded, has no ``join``, and lets a consumer
take a waiting item without a coroutine call (``if queue: queue.popleft()``); waiting consumers
are woken in order, as with ``asyncio.Queue``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

__all__ = ["EventQueue"]


class EventQueue:
    """``items`` is the deque behind the queue: a consumer may take from it directly
    (``items.popleft() if items else await queue.get()``), without a method call per item."""

    __slots__ = ("_items", "_waiters", "items")

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self.items = self._items
        self._waiters: deque[asyncio.Future[None]] = deque()

    def __len__(self) -> int:
        return len(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._waiters:
            self._wake_next()

    def put_many(self, items: list[Any]) -> None:
        """``put_nowait`` of each item in turn (the messages of one network read)."""
        self._items.extend(items)
        waiters = self._waiters
        for _ in items:
            if not waiters:
                break
            self._wake_next()

    def popleft(self) -> Any:
        """The oldest item; ``IndexError`` when empty (check ``len`` or truth first)."""
        return self._items.popleft()

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    async def get(self) -> Any:
        items = self._items
        while not items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                waiter.cancel()
                # Woken and cancelled at once: pass the wake-up on, so no item waits for nobody.
                if items and not waiter.cancelled():
                    self._wake_next()
                raise
        return items.popleft()

    def _wake_next(self) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break
