"""The single-use ticket transport (PROTOCOL.md §2 item 3): ``POST /api/websocket/ticket`` with
``Authorization: Bearer <jwt>`` returns ``{ticket_id, expires_at, ttl_seconds, websocket_url}``;
the WebSocket is then opened with ``?ticket=<ticket_id>``.

Where the ticket is asked for: the HTTP(S) origin of the WebSocket URL the user named (``ws`` →
``http``, ``wss`` → ``https``, same host and port), path ``/api/websocket/ticket``.

Where the WebSocket goes: always the URL the user named, with ``ticket=`` added (other query
parameters kept, an old ``ticket=`` replaced). The ``websocket_url`` the service returns is
recorded (redacted, with whether it is the same origin) but never followed: a diagnostic must
reach the endpoint it was pointed at (its path chooses the mode, ``/ws/factory`` vs
``/api/v1/websocket``), and a response must never send a credential to another host.

The request is a minimal HTTP/1.1 exchange over asyncio streams: it does not block the event
loop, needs no dependency, ignores proxy environment variables (diagnostics go to the endpoint
named) and does not follow redirects (a 3xx is reported like any other refusal). TLS uses the
default SSL context. The ticket is a credential: callers add it to the session's secrets before
anything shows it (``opening``); nothing here puts it in a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from netra_diag import __version__
from netra_diag.errors import ConnectFailed, HandshakeRejected, UsageError
from netra_diag.recording_format import redact_headers, redact_url
from netra_diag.redaction import scrub

__all__ = [
    "TICKET_PATH",
    "Ticket",
    "TicketRejected",
    "TicketRequestFailed",
    "request_ticket",
    "ticket_request_url",
    "url_with_ticket",
]

TICKET_PATH: Final = "/api/websocket/ticket"
_BODY_LIMIT: Final = 64 * 1024  # a ticket response is tiny; an error page is kept truncated
_HEAD_LIMIT: Final = 64 * 1024
_SHOWN_BODY: Final = 4000  # characters of a refused request's body kept (scrubbed)
_SCHEMES: Final = {"ws": "http", "wss": "https"}


class TicketRejected(HandshakeRejected):
    """The ticket request got an HTTP status other than 2xx, or a 2xx without a usable ticket
    (``body`` then says why). A ``HandshakeRejected``, so callers handling refused upgrades
    handle it too; its message names the ticket request."""

    def __init__(self, url: str, status: int, body: str = "", headers: Any = None):
        super().__init__(url, status, body, headers)
        snippet = f": {body[:200]}" if body else ""
        verb = "answered" if 200 <= status < 300 else "refused with"
        self.args = (f"ticket request POST {url} {verb} HTTP {status}{snippet}",)


class TicketRequestFailed(ConnectFailed):
    """The ticket request got no HTTP answer: refused, unreachable, TLS, timeout, or a reply that
    is not HTTP. A ``ConnectFailed``; its message names the ticket request."""

    def __init__(self, url: str, reason: str):
        super().__init__(url, reason)
        self.args = (f"ticket request POST {url} failed: {reason}",)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket as the service issued it. ``ticket_id`` and ``websocket_url`` are kept out of
    ``repr``; show it with ``describe`` (after adding the ticket to the session's secrets)."""

    ticket_id: str = field(repr=False)
    status: int
    expires_at: float | str | None = None
    ttl_seconds: float | None = None
    websocket_url: str | None = field(default=None, repr=False)
    request_s: float = 0.0

    def describe(self, named_url: str, secrets: Iterable[str] = ()) -> dict[str, Any]:
        """JSON-safe facts for a mark: the advertised ``websocket_url`` redacted, and whether it
        has the origin of the URL the user named (it is never followed either way)."""
        shown = None if self.websocket_url is None else redact_url(self.websocket_url, secrets)
        return {
            "url": ticket_request_url(named_url),
            "status": self.status,
            "expires_at": self.expires_at,
            "ttl_seconds": self.ttl_seconds,
            "websocket_url": shown,
            "websocket_url_same_origin": None
            if self.websocket_url is None
            else _origin(self.websocket_url) == _origin(named_url),
            "request_ms": self.request_s * 1e3,
        }


def _origin(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return None


def _split_ws_url(url: str) -> tuple[str, str, int, str]:
    """(http scheme, host, port, Host header value) of a ws:// or wss:// URL."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"not a WebSocket URL: {redact_url(url)} ({exc})") from None
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.hostname:
        raise UsageError(f"url must be ws:// or wss:// with a host, got {redact_url(url)!r}")
    host_header = parts.netloc.rpartition("@")[2]  # never send userinfo along
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), host_header


def ticket_request_url(ws_url: str) -> str:
    """Where the ticket for ``ws_url`` is asked for: its HTTP(S) origin + ``TICKET_PATH``."""
    scheme, _, _, host_header = _split_ws_url(ws_url)
    return f"{scheme}://{host_header}{TICKET_PATH}"


def url_with_ticket(ws_url: str, ticket_id: str) -> str:
    """``ws_url`` with ``ticket=<ticket_id>`` added; other query parameters are kept in order and
    any ``ticket`` already there is replaced (the service would read the first one)."""
    _split_ws_url(ws_url)
    parts = urlsplit(ws_url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "ticket"]
    pairs.append(("ticket", ticket_id))
    return urlunsplit(parts._replace(query=urlencode(pairs)))


async def request_ticket(
    ws_url: str, token: str, *, open_timeout: float, secrets: Iterable[str] = ()
) -> Ticket:
    """Ask the service for a single-use ticket for ``ws_url``, authenticated by ``token``.

    Bounded by ``open_timeout`` seconds in all (connect, TLS, request, response). Raises
    ``TicketRejected`` (an HTTP answer without a usable ticket) or ``TicketRequestFailed`` (no
    HTTP answer); their text is scrubbed of ``token`` and ``secrets``. ``UsageError`` for a URL
    that is not ws:// or wss://, or a token that cannot go in a header.
    """
    if not token:
        raise UsageError("the ticket transport needs a token: the ticket is requested with it")
    if not token.isascii() or not token.isprintable():
        raise UsageError(
            "the token cannot be sent in an Authorization header (not printable ASCII)"
        )
    scheme, host, port, host_header = _split_ws_url(ws_url)
    url = f"{scheme}://{host_header}{TICKET_PATH}"
    hidden = (token, *secrets)
    request = (
        f"POST {TICKET_PATH} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        f"Authorization: Bearer {token}\r\n"
        "Accept: application/json\r\n"
        "Content-Length: 0\r\n"
        f"User-Agent: netra-diag/{__version__}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        status, headers, body = await _exchange(scheme, host, port, request, open_timeout)
    except TimeoutError as exc:
        raise TicketRequestFailed(url, f"no answer within {open_timeout:g} s") from exc
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        why = f"the answer is not a readable HTTP response ({type(exc).__name__})"
        raise TicketRequestFailed(url, why) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        if isinstance(exc, ConnectionRefusedError) and "refused" not in reason.lower():
            reason = f"connection refused ({reason})"
        elif isinstance(exc, ssl.SSLError):
            reason = f"TLS failed: {reason}"
        raise TicketRequestFailed(url, scrub(reason, hidden)) from exc
    elapsed = loop.time() - started
    shown_headers = redact_headers(headers, hidden)
    if not 200 <= status < 300:
        text = body.decode("utf-8", "replace")[:_SHOWN_BODY]
        raise TicketRejected(url, status, scrub(text, hidden), shown_headers)
    return _parse_ticket(url, status, body, shown_headers, elapsed, hidden)


def _parse_ticket(
    url: str,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]],
    elapsed: float,
    hidden: tuple[str, ...],
) -> Ticket:
    def unusable(why: str) -> TicketRejected:
        return TicketRejected(url, status, f"no usable ticket: {why}", headers)

    try:
        doc = json.loads(body)
    except ValueError:
        snippet = scrub(body[:200].decode("utf-8", "replace"), hidden)
        raise unusable(f"the body is not JSON ({snippet!r})") from None
    if not isinstance(doc, Mapping):
        raise unusable(f"the body is JSON {type(doc).__name__}, not an object")
    ticket_id = doc.get("ticket_id")
    if not isinstance(ticket_id, str) or not ticket_id.strip():
        # Only the key names: the values may hold a credential under another name.
        keys = ", ".join(sorted(str(k) for k in doc)[:20]) or "none"
        raise unusable(f"no ticket_id string in the JSON (keys: {keys})")
    advertised = doc.get("websocket_url")
    return Ticket(
        ticket_id=ticket_id,
        status=status,
        expires_at=_number_or_text(doc.get("expires_at")),
        ttl_seconds=_number(doc.get("ttl_seconds")),
        websocket_url=advertised if isinstance(advertised, str) else None,
        request_s=elapsed,
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _number_or_text(value: Any) -> float | str | None:
    """``expires_at`` as epoch seconds, or as the service's text (e.g. ISO 8601), kept short."""
    if isinstance(value, str):
        return value[:64]
    return _number(value)


async def _exchange(
    scheme: str, host: str, port: int, request: bytes, budget_s: float
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Send ``request``, read one response: (status, headers, body)."""
    context = ssl.create_default_context() if scheme == "https" else None
    async with asyncio.timeout(budget_s):
        reader, writer = await asyncio.open_connection(
            host,
            port,
            ssl=context,
            server_hostname=host if context is not None else None,
            limit=_HEAD_LIMIT,
        )
        try:
            writer.write(request)
            await writer.drain()
            while True:
                status, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
                if not 100 <= status < 200:  # skip interim responses (RFC 9110 §15.2)
                    break
            body = await _read_body(reader, status, headers)
        finally:
            writer.close()
    # Outside the budget: the answer is in; a slow close must not turn it into a timeout.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(1.0):
            await writer.wait_closed()
    return status, headers, body


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit():
        raise ValueError("bad status line")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ValueError("bad header line")
        headers.append((name.strip(), value.strip()))
    return int(code), headers


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name), None)


async def _read_body(
    reader: asyncio.StreamReader, status: int, headers: list[tuple[str, str]]
) -> bytes:
    """The body by RFC 9112 §6.3: none for 204/304, chunked, Content-Length, else up to the close;
    at most ``_BODY_LIMIT`` bytes are kept (the rest is not read: the connection is closed)."""
    if status in (204, 304):
        return b""
    if "chunked" in (_header(headers, "transfer-encoding") or "").lower():
        body = bytearray()
        while len(body) < _BODY_LIMIT:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            body += await reader.readexactly(min(size, _BODY_LIMIT - len(body)))
            if len(body) < _BODY_LIMIT:
                await reader.readexactly(2)  # the CRLF after the chunk
        return bytes(body)
    length = _header(headers, "content-length")
    if length is not None:
        return await reader.readexactly(min(int(length), _BODY_LIMIT))
    body = bytearray()
    while len(body) < _BODY_LIMIT and (chunk := await reader.read(_BODY_LIMIT - len(body))):
        body += chunk
    return bytes(body)
