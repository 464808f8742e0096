"""Opening the socket: one transport attempt, with every websockets error translated at the boundary
(``ConnectFailed``, ``HandshakeRejected``, ``SessionClosed``; the cause is kept with ``from``).

``HandshakeInfo`` is what the upgrade told us (status, scrubbed headers, the subprotocol the server
selected and whether it echoed our token-bearing entry exactly: Chromium closes 1002 without the
echo, PROTOCOL.md §2), plus what ``connection_established`` said about who we are.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.frames import DATA_OPCODES, Frame
from websockets.protocol import Event
from websockets.typing import Subprotocol

from netra_diag.errors import ConnectFailed, HandshakeRejected, UsageError
from netra_diag.recording_format import redact_headers, redact_subprotocol, redact_url
from netra_diag.redaction import scrub
from netra_diag.tokens import Handshake, build_bad_handshake, build_handshake

__all__ = [
    "AUTO_ORDER",
    "BODY_LIMIT",
    "HandshakeInfo",
    "StampedConnection",
    "TransportAttempt",
    "describe_upgrade",
    "make_handshake",
    "open_socket",
    "stamped_connection_class",
    "token_entry",
]

# The order ``transport="auto"`` tries (the service checks header, then subprotocol, then query).
AUTO_ORDER: tuple[str, ...] = ("header", "subprotocol", "query")
BODY_LIMIT = 4000  # characters of a refused upgrade's body kept (scrubbed)
_TOKEN_PREFIXES = ("jwt.", "jwt-auth.", "bearer.", "staging-auth.")


@dataclass(frozen=True, slots=True)
class TransportAttempt:
    """One try at opening the session with one transport.

    ``outcome``: ``validated`` (server user matches the token's sub), ``bypass`` (connected as a
    synthetic or different user), ``unverified`` (connected; the server named no user),
    ``rejected`` (HTTP status other than 101), ``closed`` (accepted, then closed before being
    established, e.g. 1008), ``failed`` (no HTTP answer).
    """

    transport: str
    outcome: str
    status: int | None = None
    close_code: int | None = None
    server_user_id: str | None = None
    detail: str = ""
    duration_s: float | None = None

    @property
    def worked(self) -> bool:
        return self.outcome == "validated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "transport": self.transport,
            "outcome": self.outcome,
            "status": self.status,
            "close_code": self.close_code,
            "server_user_id": self.server_user_id,
            "detail": self.detail,
            "duration_s": self.duration_s,
        }


@dataclass(frozen=True, slots=True)
class HandshakeInfo:
    """What the opening handshake and ``connection_established`` revealed. Every value is
    scrubbed (no token, only fingerprints). ``echoed_token_entry`` is ``None`` when no
    token-bearing subprotocol entry was offered."""

    url: str
    transport: str
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    offered_subprotocols: tuple[str, ...] = ()
    selected_subprotocol: str | None = None
    echoed_token_entry: bool | None = None
    body: str | None = None
    server_user_id: str | None = None
    connection_id: str | None = None
    mode: str | None = None
    established: Mapping[str, Any] = field(default_factory=dict)
    upgrade_s: float | None = None
    attempts: tuple[TransportAttempt, ...] = ()

    def header(self, name: str) -> str | None:
        """A response header by case-insensitive name (scrubbed), or ``None``."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "transport": self.transport,
            "status": self.status,
            "headers": [list(h) for h in self.headers],
            "offered_subprotocols": list(self.offered_subprotocols),
            "selected_subprotocol": self.selected_subprotocol,
            "echoed_token_entry": self.echoed_token_entry,
            "body": self.body,
            "server_user_id": self.server_user_id,
            "connection_id": self.connection_id,
            "mode": self.mode,
            "upgrade_s": self.upgrade_s,
            "attempts": [a.to_dict() for a in self.attempts],
        }


class StampedConnection(ClientConnection):
    """A ``ClientConnection`` that notes when each data message was completed by the protocol,
    on the session's monotonic clock, in ``arrivals`` (first in, first out; one per message).

    The stamp is taken in ``data_received`` (via ``process_event``, the hook websockets provides
    for subclasses), one event-loop iteration before the reader task gets the message: under
    load that iteration is most of the measurement error.
    """

    clock = staticmethod(time.monotonic_ns)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: deque[int] = deque()

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and event.fin and event.opcode in DATA_OPCODES:
            self.arrivals.append(self.clock())
        super().process_event(event)


def stamped_connection_class(clock: Callable[[], int]) -> type[StampedConnection]:
    """``StampedConnection`` stamping with ``clock`` (a subclass only for an injected clock)."""
    if clock is time.monotonic_ns:
        return StampedConnection
    return type("StampedConnection", (StampedConnection,), {"clock": staticmethod(clock)})


def make_handshake(url: str, token: str | None, transport: str) -> Handshake:
    """The handshake for one transport; ``bad:<name>`` builds a known-bad format
    (``netra_diag.tokens.KNOWN_BAD_FORMATS``) for negative checks."""
    if transport.startswith("bad:"):
        return build_bad_handshake(url, token or "", transport[4:])
    if not token and transport != "none":
        raise UsageError(f"transport {transport!r} needs a token; use transport='none' without one")
    return build_handshake(url, token or "", transport)


def token_entry(hs: Handshake, token: str | None) -> str | None:
    """The subprotocol entry that carries the token, if any (the one the server must echo)."""
    for entry in hs.subprotocols:
        if entry.startswith(_TOKEN_PREFIXES) and len(entry) > 12:
            return entry
        if token and entry == token:
            return entry
    return None


async def open_socket(
    hs: Handshake,
    *,
    token: str | None,
    open_timeout: float,
    max_size: int | None,
    close_timeout: float,
    secrets: tuple[str, ...],
    clock: Callable[[], int] = time.monotonic_ns,
) -> StampedConnection:
    """Open the WebSocket for ``hs``; translate every failure into our exceptions.

    ``proxy=None``: diagnostics must reach the endpoint named, never a proxy from the environment.
    ``ping_interval=None``: the session samples RTT itself (``live.pinger``).
    """
    shown = redact_url(hs.url, secrets)
    try:
        ws = await connect(
            hs.url,
            additional_headers=dict(hs.headers) or None,
            subprotocols=[Subprotocol(s) for s in hs.subprotocols] or None,
            open_timeout=open_timeout,
            ping_interval=None,
            close_timeout=close_timeout,
            max_size=max_size,
            proxy=None,
            create_connection=stamped_connection_class(clock),
        )
        assert isinstance(ws, StampedConnection)
        return ws
    except InvalidStatus as exc:
        resp = exc.response
        body = bytes(resp.body or b"").decode("utf-8", "replace")[:BODY_LIMIT]
        headers = redact_headers(resp.headers.raw_items(), secrets)
        raise HandshakeRejected(shown, resp.status_code, scrub(body, secrets), headers) from exc
    except InvalidURI as exc:
        raise UsageError(f"not a WebSocket URL: {shown} ({scrub(str(exc), secrets)})") from exc
    except InvalidHandshake as exc:
        raise ConnectFailed(shown, f"invalid handshake: {scrub(str(exc), secrets)}") from exc
    except ConnectionClosed as exc:
        raise ConnectFailed(
            shown, f"connection closed during the opening handshake: {exc}"
        ) from exc
    except TimeoutError as exc:
        raise ConnectFailed(shown, f"opening handshake timed out after {open_timeout:g} s") from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConnectFailed(shown, scrub(reason, secrets)) from exc
    except asyncio.CancelledError:
        raise


def describe_upgrade(
    ws: ClientConnection, hs: Handshake, token: str | None, secrets: tuple[str, ...]
) -> dict[str, Any]:
    """Status, scrubbed headers, offered/selected subprotocols and the echo check."""
    response = ws.response
    status = response.status_code if response is not None else None
    headers = tuple(redact_headers(response.headers.raw_items(), secrets)) if response else ()
    entry = token_entry(hs, token)
    selected = ws.subprotocol
    echoed = None if entry is None else selected == entry
    return {
        "status": status,
        "headers": headers,
        "offered": tuple(redact_subprotocol(s, secrets) for s in hs.subprotocols),
        "selected": redact_subprotocol(str(selected), secrets) if selected else None,
        "echoed": echoed,
    }
