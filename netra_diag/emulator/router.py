"""Who receives a run's events: the connections of the user who asked, subscribed to the thread
(PROTOCOL.md §7). A connection subscribes to every thread it sends a run request on.

In DEMO mode every connection is ``demo-user-001``, so two clients on the same ``thread_id`` see
each other's events: exactly the isolation hole that mode opens in the service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

__all__ = ["Peer", "Router"]


class Peer(Protocol):
    connection_id: str
    user_id: str
    seq: int
    threads: set[str]


P = TypeVar("P", bound=Peer)


class Router(Generic[P]):
    """Connections by user id. Not thread-safe: used from the service's event loop only."""

    def __init__(self) -> None:
        self._by_user: dict[str, dict[str, P]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[P]:
        for peers in self._by_user.values():
            yield from peers.values()

    def add(self, peer: P) -> None:
        peers = self._by_user.setdefault(peer.user_id, {})
        if peer.connection_id not in peers:
            peers[peer.connection_id] = peer
            self._count += 1

    def remove(self, peer: P) -> None:
        peers = self._by_user.get(peer.user_id)
        if peers and peers.pop(peer.connection_id, None) is not None:
            self._count -= 1
            if not peers:
                del self._by_user[peer.user_id]

    def recipients(self, user_id: str, thread_id: str) -> list[P]:
        """Connections of ``user_id`` subscribed to ``thread_id``, oldest first."""
        peers = self._by_user.get(user_id, {})
        return sorted((p for p in peers.values() if thread_id in p.threads), key=lambda p: p.seq)

    def victim(self, owner: P, thread_id: str) -> P | None:
        """Where a leaked event goes: the oldest connection of another user, else (when everyone
        shares one user id, as in DEMO mode) the oldest connection not on this thread."""
        others = [p for p in self if p.user_id != owner.user_id]
        if not others:
            others = [p for p in self if p is not owner and thread_id not in p.threads]
        return min(others, key=lambda p: p.seq) if others else None
