"""What each of the service's WebSocket endpoints sends, by its path (PROTOCOL.md §1), so that a
client waits only for what an endpoint will send.

Pure: no I/O. The one endpoint that differs is the older generation's ``/ws/test``: no auth, no
``connection_established``, no agent; it only answers what it is sent (``pong``, ``heartbeat``,
``ack``). Waiting for a ``connection_established`` there is waiting for nothing, and after the
``ack`` of a request nothing more will come for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["ECHO_ENDPOINT", "EndpointProtocol", "endpoint_protocol"]


@dataclass(frozen=True, slots=True)
class EndpointProtocol:
    """What the endpoint at ``path`` sends. ``known``: the path is one PROTOCOL.md §1 lists
    (an unknown one is assumed to behave like ``/ws``, the main endpoint)."""

    path: str
    known: bool
    sends_established: bool
    authenticates: bool
    runs_agents: bool
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "known": self.known,
            "sends_connection_established": self.sends_established,
            "authenticates": self.authenticates,
            "runs_agents": self.runs_agents,
            "description": self.description,
        }


ECHO_ENDPOINT = "/ws/test"

_MAIN = "sends connection_established after auth, runs agents"
# Longest first: a service mounted under a prefix (``/api/ws/test``) still ends with the path.
_TABLE: tuple[tuple[str, bool, str], ...] = (
    (
        ECHO_ENDPOINT,
        False,
        "the older generation's echo endpoint (PROTOCOL.md §1): no auth, no "
        "connection_established, no agent; it only answers pong/heartbeat/ack",
    ),
    ("/api/v1/websocket", True, "main endpoint (PROTOCOL.md §1): " + _MAIN),
    ("/ws/isolated", True, "isolated mode (PROTOCOL.md §1): " + _MAIN),
    ("/ws/factory", True, "factory mode (PROTOCOL.md §1): auth before the upgrade, then " + _MAIN),
    ("/ws", True, "main endpoint (PROTOCOL.md §1): " + _MAIN),
)


def endpoint_protocol(url: str) -> EndpointProtocol:
    """The expectations for ``url``'s endpoint, matched by how its path ends."""
    path = urlsplit(url).path.rstrip("/") or "/"
    for known, full, description in _TABLE:
        if path == known or path.endswith(known):
            return EndpointProtocol(path, True, full, full, full, description)
    return EndpointProtocol(
        path, False, True, True, True, "not a path PROTOCOL.md §1 lists: expected to act as /ws"
    )
