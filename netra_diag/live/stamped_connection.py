"""A session's socket: a websockets ``ClientConnection`` that stamps every message with its
arrival time and hands complete messages straight to the session (``live.connection``), with the
receive fast path (``live.frame_splitter``) in front of websockets' own parser.

Opening it (transports, error translation) is ``live.handshake``; what the session does with
each message is ``live.receiving``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import PayloadTooBig
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import CONT, DATA_OPCODES, TEXT, CloseCode, Frame
from websockets.protocol import Event, State

from netra_diag.live.frame_splitter import FrameSplitter
from netra_diag.live.stamping import StampingSocket, rx_age_ns

__all__ = ["MessageSink", "MessagesSink", "StampedConnection", "stamped_connection_class"]

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
