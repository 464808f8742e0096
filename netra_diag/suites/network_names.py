"""Whether a test's names say it talks to a network service (for "~0 ms against a network
service", ``vacuous.find_vacuous``).

Names are read as words (``test_websocket_events``, ``TestWebSocketAgent`` and
``tests.e2e.test_ws`` alike), not searched for letters: "deliver" holds "live", "news_feed"
"ws_", "rapid" "api", and a unit test of such names took 0.1 ms and was called too fast for a
network round trip.

Some words say network on their own (websocket, staging, e2e, ...); others are as common in
unit tests of an agent service as in its end-to-end tests (agent, auth, session, api, ...):
those only count in a class whose other tests take network time (``weak``).
"""

from __future__ import annotations

import re
from enum import Enum
from functools import lru_cache

__all__ = ["NetworkHint", "network_hint"]

# Words that say the test talks over the network.
_STRONG = frozenset(
    {"websocket", "websockets", "ws", "wss", "socket", "sockets", "staging", "e2e", "live"}
    | {"network"}
)
# Beginnings of words common to network tests and to unit tests of the same code.
_WEAK = (
    "connect",
    "reconnect",
    "disconnect",
    "agent",
    "auth",
    "oauth",
    "server",
    "session",
    "http",
    "api",
    "golden",
)
# Words: "e2e" whole, runs of capitals (HTTP), capitalised words (Socket), lower-case runs.
_WORD = re.compile(r"(?i:e2e)|[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


class NetworkHint(Enum):
    NONE = 0
    WEAK = 1  # a word common to network and unit tests: only with siblings that take time
    STRONG = 2


@lru_cache(maxsize=4096)  # (a class's tests share their classname and suite)
def _words(text: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _WORD.findall(text))


def network_hint(*names: str) -> NetworkHint:
    """What ``names`` (classname, name, suite) say of talking to a network service."""
    words = [w for name in names for w in _words(name)]
    if any(w in _STRONG for w in words):
        return NetworkHint.STRONG
    if any(w.startswith(_WEAK) for w in words):
        return NetworkHint.WEAK
    return NetworkHint.NONE
