"""Opening the socket: one transport attempt, with every websockets error translated at the boundary
(``ConnectFailed``, ``HandshakeRejected``, ``SessionClosed``; the cause is kept with ``from``).

``HandshakeInfo`` is what the upgrade told us (status, scrubbed headers, the subprotocol the server
selected and whether it echoed our token-bearing entry exactly: Chromium closes 1002 without the
echo, PROTOCOL.md §2), plus what ``connection_established`` said about who we are.

The socket itself (``StampedConnection``: arrival stamps, direct delivery) is
``live.stamped_connection``; its names are importable from here too.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from netra_diag.errors import ConnectFailed, HandshakeRejected, UsageError
from netra_diag.live import stamping
from netra_diag.live.stamped_connection import (
    MessageSink,
    MessagesSink,
    StampedConnection,
    stamped_connection_class,
)
from netra_diag.live.stamping import StampingSocket, open_stamping_socket
from netra_diag.live.ticket import url_with_ticket
from netra_diag.live.wslog import ScrubbingLogger
from netra_diag.recording_format import redact_headers, redact_subprotocol, redact_url
from netra_diag.redaction import fingerprint, scrub
from netra_diag.tokens import (
    KNOWN_BAD_FORMATS,
    Handshake,
    Transport,
    build_bad_handshake,
    build_handshake,
)

__all__ = [
    "AUTO_ORDER",
    "BODY_LIMIT",
    "HandshakeInfo",
    "MessageSink",
    "MessagesSink",
    "StampedConnection",
    "TransportAttempt",
    "check_transport",
    "describe_upgrade",
    "make_handshake",
    "open_socket",
    "stamped_connection_class",
    "token_entry",
]

# The order ``transport="auto"`` tries: the service checks header, then subprotocol, then query
# (PROTOCOL.md §2); a single-use ticket last, as it costs an extra HTTP request and a ticket.
AUTO_ORDER: tuple[str, ...] = ("header", "subprotocol", "query", "ticket")
BODY_LIMIT = 4000  # characters of a refused upgrade's body kept (scrubbed)
_TOKEN_PREFIXES = ("jwt.", "jwt-auth.", "bearer.", "staging-auth.")
_TOKEN_TRANSPORTS = tuple(t.value for t in Transport)


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


def check_transport(transport: str, *, has_token: bool) -> None:
    """Raise ``UsageError`` for a transport that cannot work whatever the server does: an
    unknown name (or known-bad format), or one that carries a token when there is none.
    ``Session.connect`` checks this before connecting, so that no attempt is made."""
    if transport == "auto":
        return
    if transport.startswith("bad:"):
        if transport[4:] not in KNOWN_BAD_FORMATS:
            valid = ", ".join(f"bad:{name}" for name in KNOWN_BAD_FORMATS)
            raise UsageError(f"unknown known-bad format {transport!r}; valid: {valid}")
        return
    if transport not in (*_TOKEN_TRANSPORTS, "ticket"):
        valid = ", ".join(["auto", *_TOKEN_TRANSPORTS, "ticket", "bad:<format>"])
        raise UsageError(f"unknown transport {transport!r}; valid: {valid}")
    if not has_token and transport != "none":
        why = ": the ticket is requested with it" if transport == "ticket" else ""
        raise UsageError(
            f"transport {transport!r} needs a token{why}; without one use transport 'none' "
            "(or 'auto')"
        )


def make_handshake(
    url: str, token: str | None, transport: str, *, ticket: str | None = None
) -> Handshake:
    """The handshake for one transport; ``bad:<name>`` builds a known-bad format
    (``netra_diag.tokens.KNOWN_BAD_FORMATS``) for negative checks. ``ticket``: the single-use
    ticket for transport ``ticket`` (``live.ticket.request_ticket`` obtains it with ``token``);
    the handshake then carries the ticket, not the token."""
    if transport.startswith("bad:"):
        return build_bad_handshake(url, token or "", transport[4:])
    if transport == "ticket":
        if not ticket:
            raise UsageError("transport 'ticket' needs a ticket from POST /api/websocket/ticket")
        return Handshake(
            url=url_with_ticket(url, ticket),
            headers={},
            subprotocols=(),
            transport="ticket",
            description="single-use ?ticket=<id> from POST /api/websocket/ticket (§2 step 3)",
            token_fingerprint=fingerprint(ticket),
            _token=ticket,
        )
    if transport not in _TOKEN_TRANSPORTS:
        valid = ", ".join(["auto", *_TOKEN_TRANSPORTS, "ticket", "bad:<format>"])
        raise UsageError(f"unknown transport {transport!r}; valid: {valid}")
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

    def shown() -> str:  # only for an error message: not worth computing on success
        return redact_url(hs.url, secrets)

    try:
        return await _connect(
            hs,
            open_timeout=open_timeout,
            max_size=max_size,
            close_timeout=close_timeout,
            clock=clock,
            secrets=secrets,
        )
    except InvalidStatus as exc:
        resp = exc.response
        body = bytes(resp.body or b"").decode("utf-8", "replace")[:BODY_LIMIT]
        headers = redact_headers(resp.headers.raw_items(), secrets)
        raise HandshakeRejected(shown(), resp.status_code, scrub(body, secrets), headers) from exc
    except InvalidURI as exc:
        raise UsageError(f"not a WebSocket URL: {shown()} ({scrub(str(exc), secrets)})") from exc
    except InvalidHandshake as exc:
        raise ConnectFailed(shown(), f"invalid handshake: {scrub(str(exc), secrets)}") from exc
    except ConnectionClosed as exc:
        raise ConnectFailed(
            shown(), f"connection closed during the opening handshake: {exc}"
        ) from exc
    except TimeoutError as exc:
        raise ConnectFailed(
            shown(), f"opening handshake timed out after {open_timeout:g} s"
        ) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ConnectFailed(shown(), scrub(reason, secrets) + _tls_hint(hs.url, exc)) from exc
    except asyncio.CancelledError:
        raise


def _tls_hint(url: str, exc: OSError) -> str:
    """For a ``wss://`` URL whose TLS handshake failed: the likeliest cause, a server that speaks
    plain ``ws://`` (it answers the TLS hello with an HTTP error and hangs up, which reads as a
    bare "ConnectionResetError")."""
    if not url.lower().startswith("wss://"):
        return ""
    if not isinstance(exc, ssl.SSLError | ConnectionResetError | ConnectionAbortedError):
        return ""
    return (
        " (a wss:// URL: a server that speaks plain ws://, as the reference service and replay "
        "do, answers TLS this way; try ws://)"
    )


async def _connect(
    hs: Handshake,
    *,
    open_timeout: float,
    max_size: int | None,
    close_timeout: float,
    clock: Callable[[], int],
    secrets: tuple[str, ...] = (),
) -> StampedConnection:
    """``websockets.connect`` with a ``StampedConnection``; on the real monotonic clock and where
    the kernel keeps receive times, over a ``StampingSocket`` opened here (then redirects, which
    websockets follows only on sockets it opened, are retried without one)."""
    cls = stamped_connection_class(clock)
    headers = dict(hs.headers) or None
    subprotocols = [Subprotocol(s) for s in hs.subprotocols] or None

    async def plain(
        budget_s: float | None, sock: StampingSocket | None = None
    ) -> StampedConnection:
        factory: type[ClientConnection] = cls
        if sock is not None:

            def stamped(*args: Any, **kwargs: Any) -> StampedConnection:
                ws = cls(*args, **kwargs)
                ws.rx_socket = sock
                return ws

            factory = cast(type[ClientConnection], stamped)
        ws = await connect(
            hs.url,
            additional_headers=headers,
            subprotocols=subprotocols,
            open_timeout=budget_s,
            ping_interval=None,
            close_timeout=close_timeout,
            max_size=max_size,
            proxy=None,
            create_connection=factory,
            sock=sock,
            logger=ScrubbingLogger(secrets),
        )
        assert isinstance(ws, StampedConnection)
        return ws

    if clock is not time.monotonic_ns or not stamping.SUPPORTED:
        return await plain(open_timeout)
    host, port = _host_port(hs.url)
    sock: StampingSocket | None = None
    try:
        # One deadline for the TCP connect and the upgrade (websockets keeps none of its own).
        async with asyncio.timeout(open_timeout):
            sock = await open_stamping_socket(host, port)
            return await plain(None, sock)
    except ValueError as exc:
        if sock is not None:
            sock.close()
        if not isinstance(exc.__cause__, InvalidStatus):
            raise
        return await plain(open_timeout)  # a redirect: let websockets open the sockets
    except BaseException:
        if sock is not None:
            sock.close()  # idempotent; the transport, if one was made, closed it already
        raise


def _host_port(url: str) -> tuple[str, int]:
    """Host and port of a ws:// or wss:// URL, asked on every connect. Every session of a
    fan-out names the same endpoint, so it is parsed once; a URL that may carry a credential
    (a query, userinfo, a JWT) is parsed every time, never kept."""
    if "?" in url or "@" in url or "eyJ" in url or "ZXlK" in url:
        return _parse_host_port(url)
    return _cached_host_port(url)


def _parse_host_port(url: str) -> tuple[str, int]:
    uri = parse_uri(url)
    return uri.host, uri.port


_cached_host_port = functools.lru_cache(maxsize=64)(_parse_host_port)


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
