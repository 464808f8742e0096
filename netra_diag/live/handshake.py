"""Opening the socket: one transport attempt, with every websockets error translated at the boundary
(``ConnectFailed``, ``HandshakeRejected``, ``SessionClosed``; the cause is kept with ``from``).

``HandshakeInfo`` is what the upgrade told us (status, scrubbed headers, the subprotocol the server
selected and whether it echoed our token-bearing entry exactly: Chromium closes 1002 without the
echo, PROTOCOL.md §2), plus what ``connection_established`` said about who we are.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    PayloadTooBig,
)
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import CONT, DATA_OPCODES, TEXT, CloseCode, Frame
from websockets.protocol import Event, State
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from netra_diag.errors import ConnectFailed, HandshakeRejected, UsageError
from netra_diag.live import stamping
from netra_diag.live.frame_splitter import FrameSplitter
from netra_diag.live.stamping import StampingSocket, open_stamping_socket, rx_age_ns
from netra_diag.live.ticket import url_with_ticket
from netra_diag.live.wslog import ScrubbingLogger
from netra_diag.recording_format import redact_headers, redact_subprotocol, redact_url
from netra_diag.redaction import fingerprint, scrub
from netra_diag.tokens import Handshake, Transport, build_bad_handshake, build_handshake

__all__ = [
    "AUTO_ORDER",
    "BODY_LIMIT",
    "HandshakeInfo",
    "MessageSink",
    "MessagesSink",
    "StampedConnection",
    "TransportAttempt",
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


# Direct delivery of one complete message: (text or bytes, arrival stamp) -> consumed? ``False``
# hands the message back to websockets' buffer, for the reader task's ``recv()``.
MessageSink = Callable[[str | bytes, int], bool]
# Direct delivery of the text messages of one read: (UTF-8 payloads, arrival stamp) -> how many
# were taken, in order; the first one not taken and those after it go to websockets' buffer.
MessagesSink = Callable[[list[bytes], int], int]


class StampedConnection(ClientConnection):
    """A ``ClientConnection`` that stamps each data message with its arrival time on the session's
    monotonic clock, and can hand complete messages straight to the session.

    The stamp is taken once per network read, in ``data_received``: the kernel's receive time
    of the data when the socket keeps it (``rx_socket``, see ``live.stamping``; then the event
    loop's own delay is not measured), else the time of the read (one event-loop iteration
    before a reader task could see the message). It is kept in ``arrivals`` (first in, first
    out, one per message) for messages read with ``recv()``.

    With ``sink`` set, every complete single-frame message is given to ``sink`` from
    ``process_event`` (the hook websockets provides for subclasses) instead of going through
    websockets' message buffer, a reader task wake-up and ``recv()``: the session's receive path
    then costs one call per message. Anything else (a fragmented message, a message the sink
    declines or fails on) clears ``sink`` and goes to websockets' buffer, where the reader task's
    ``recv()`` gets it in order; the reader sets ``sink`` again once that buffer is empty
    (``buffered() == 0``). ``after_read`` runs after each network read's messages were delivered.
    """

    clock = staticmethod(time.monotonic_ns)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: deque[int] = deque()
        self.sink: MessageSink | None = None
        # Set with ``sink``: many messages of one read at once; returns how many it took.
        self.sink_many: MessagesSink | None = None
        self.after_read: Callable[[], None] | None = None
        # The socket under the transport when it keeps kernel receive times (``live.stamping``).
        self.rx_socket: StampingSocket | None = None
        self._read_ns: int | None = None
        # The upgrade response seen so far, until it is complete; then the splitter, if usable.
        self._upgrade_bytes: bytearray | None = bytearray()
        self._splitter: FrameSplitter | None = None

    def read_stamp(self) -> int:
        """When the data being read arrived, on ``clock``: the kernel's receive time when the
        socket keeps it (``live.stamping``), else now."""
        now = self.clock()
        sock = self.rx_socket
        if sock is not None:
            age = rx_age_ns(sock.rx_realtime_ns, time.time_ns())
            if age is not None:
                return now - age
        return now

    def buffered(self) -> int | None:
        """Frames waiting in websockets' message buffer; ``None`` if this websockets version
        does not expose it (then ``sink`` must stay unset: ordering could not be guaranteed)."""
        frames = getattr(getattr(self, "recv_messages", None), "frames", None)
        try:
            return len(frames)  # type: ignore[arg-type]
        except TypeError:
            return None

    def data_received(self, data: bytes) -> None:
        self._read_ns = self.read_stamp()
        try:
            splitter = self._splitter
            if splitter is not None:
                splitter.feed(data)
            elif self._upgrade_bytes is not None:
                self._upgrade_received(data)
            else:
                super().data_received(data)
        finally:
            self._read_ns = None
            if self.after_read is not None:
                self.after_read()

    # -- the receive fast path (``live.frame_splitter``) ---------------------------------------

    def _upgrade_received(self, data: bytes) -> None:
        """Until the upgrade response is complete: give websockets exactly the response, then
        start the frame splitter on what follows, if websockets' parser is at a frame boundary
        with nothing buffered (else websockets keeps the whole stream, as without the splitter)."""
        seen = self._upgrade_bytes
        assert seen is not None
        start = len(seen)
        seen += data
        end = seen.find(b"\r\n\r\n", max(0, start - 3))
        if end < 0:
            super().data_received(data)
            return
        self._upgrade_bytes = None
        cut = end + 4 - start
        super().data_received(data[:cut])
        rest = data[cut:]
        self._splitter = self._make_splitter()
        if self._splitter is not None:
            if rest:
                self._splitter.feed(rest)
        elif rest:
            super().data_received(rest)

    def _make_splitter(self) -> FrameSplitter | None:
        protocol = self.protocol
        buffer = getattr(getattr(protocol, "reader", None), "buffer", None)
        if protocol.state is not State.OPEN or buffer is None or len(buffer) != 0:
            return None
        extensions = list(protocol.extensions)
        deflate: PerMessageDeflate | None = None
        if extensions:
            if len(extensions) != 1 or type(extensions[0]) is not PerMessageDeflate:
                return None
            deflate = extensions[0]
        limits = [
            v
            for v in (
                getattr(protocol, "max_message_size", None),
                getattr(protocol, "max_fragment_size", None),
            )
            if v is not None
        ]
        return FrameSplitter(
            deflate=deflate,
            max_size=min(limits) if limits else None,
            deliver=self._deliver_texts,
            handover=super().data_received,
            fail=self._fail_parse,
            still_open=lambda: self.protocol.state is State.OPEN,
        )

    def _deliver_texts(self, payloads: list[bytes]) -> None:
        """Complete text messages from the splitter, in order: to ``sink_many`` (or ``sink``)
        while it takes them, the rest into websockets' message buffer, as ``process_event``
        does for the messages websockets parses itself."""
        stamp = self._read_ns
        if stamp is None:
            stamp = self.clock()
        start = 0
        sink_many = self.sink_many
        if sink_many is not None and self.sink is not None:
            start = sink_many(payloads, stamp)
            if start < len(payloads):
                self.sink = None
                self.sink_many = None
        for payload in payloads[start:] if start else payloads:
            sink = self.sink
            if sink is not None:
                try:
                    if sink(payload.decode(), stamp):
                        continue
                except Exception:
                    pass  # invalid UTF-8 or a failing sink: recv() raises it in the reader task
                self.sink = None
                self.sink_many = None
            self.arrivals.append(stamp)
            super().process_event(Frame(TEXT, payload))

    def _fail_parse(self, exc: Exception) -> None:
        """What websockets' parser does when a frame fails to decode (``Protocol.parse``), then
        what ``data_received`` does after a read: send the close frame, arm the close timeout."""
        protocol = self.protocol
        if isinstance(exc, PayloadTooBig):
            exc.set_current_size(None)
            protocol.fail(CloseCode.MESSAGE_TOO_BIG, str(exc))
        else:
            protocol.fail(CloseCode.PROTOCOL_ERROR, str(exc))
        protocol.parser_exc = exc
        events = protocol.events_received()
        try:
            self.send_data()
        except Exception as send_exc:
            self.set_connection_exc(send_exc)
        timeout = self.close_timeout
        if protocol.close_expected() and self.close_deadline is None and timeout is not None:
            self.close_deadline = self.loop.time() + timeout
        for event in events:
            self.process_event(event)

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and (opcode := event.opcode) in DATA_OPCODES:
            stamp = self._read_ns
            if stamp is None:
                stamp = self.clock()
            sink = self.sink
            if sink is not None:
                if event.fin and opcode is not CONT:
                    try:
                        if opcode is TEXT:
                            message: str | bytes = bytes(event.data).decode()
                        else:
                            message = bytes(event.data)
                        if sink(message, stamp):
                            return
                    except Exception:
                        # Handed to websockets below: recv() raises it again in the reader task,
                        # which reports it (as before this path existed).
                        pass
                self.sink = None
                self.sink_many = None
            if event.fin:
                self.arrivals.append(stamp)
        super().process_event(event)


def stamped_connection_class(clock: Callable[[], int]) -> type[StampedConnection]:
    """``StampedConnection`` stamping with ``clock`` (a subclass only for an injected clock)."""
    if clock is time.monotonic_ns:
        return StampedConnection
    return type("StampedConnection", (StampedConnection,), {"clock": staticmethod(clock)})


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
        raise ConnectFailed(shown(), scrub(reason, secrets)) from exc
    except asyncio.CancelledError:
        raise


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
