"""The session's receive fast path: split the server's byte stream into WebSocket frames here,
decode the common one (a complete, unfragmented text message, compressed or not) directly, and
hand every other frame, byte for byte, to websockets' own parser.

Why: websockets parses each frame with a chain of generator coroutines and a dataclass per frame,
about 3.7 µs per small frame on this project's reference machine, more than ``json.loads`` of
the frame itself (``benchmarks/bench_recorder.py``). An agent stream is thousands of small
text frames, so the recorder spent more time there than anywhere else. Splitting frames is a
few integer operations; what is protocol (control frames, fragmentation, closing, errors) stays
websockets' job.

Why it stays correct: the splitter starts at the first byte after the HTTP upgrade response,
when websockets' parser is waiting for a frame header with an empty buffer (checked, else the
fast path is not used), and only ever passes websockets *complete* frames, so its parser is at a
frame boundary after each one. Inflation uses websockets' own ``PerMessageDeflate`` object (the
same compression context websockets would use). Anything unusual (a masked or reserved-bit
frame, an unknown opcode, a frame over ``max_size``) hands the rest of the stream to websockets
for good, which fails the connection exactly as it would have.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import TEXT, Frame

__all__ = ["FrameSplitter"]

_EMPTY_BLOCK = b"\x00\x00\xff\xff"  # RFC 7692 §7.2.2: removed by the sender, appended back
_FIN = 0x80
_RSV1 = 0x40
_RSV23 = 0x30
_MASKED = 0x80
_OP_CONT, _OP_TEXT, _OP_BINARY = 0x0, 0x1, 0x2
_CONTROL = frozenset({0x8, 0x9, 0xA})  # close, ping, pong
# A control frame's payload is at most 125 bytes (RFC 6455 §5.5): never worth waiting on more.
_MAX_CONTROL = 125


class FrameSplitter:
    """Feed it the bytes of one connection (after the upgrade response); it calls

    - ``deliver(payloads)`` with the complete, unfragmented text messages (already inflated) of
      one feed, in order, before any frame that follows them goes to ``handover``;
    - ``handover(frame_bytes)`` for any other complete frame (websockets parses it);
    - ``fail(exc)`` when inflating a message failed (``ProtocolError``, ``PayloadTooBig``): the
      connection must be failed as websockets would (its parser never saw the frame).

    After a handover ``still_open()`` is asked whether to go on: ``False`` (websockets received a
    close frame or failed the connection) sends everything that follows to ``handover`` without
    splitting, as does anything the splitter does not handle.
    """

    __slots__ = (
        "_buf",
        "_deflate",
        "_deliver",
        "_fail",
        "_fragmented",
        "_handover",
        "_inline_inflate",
        "_max_size",
        "_need",
        "_passthrough",
        "_still_open",
    )

    def __init__(
        self,
        *,
        deflate: PerMessageDeflate | None,
        max_size: int | None,
        deliver: Callable[[list[bytes]], None],
        handover: Callable[[bytes], None],
        fail: Callable[[Exception], None],
        still_open: Callable[[], bool],
    ) -> None:
        self._deflate = deflate
        # Inline inflation needs the decoder websockets keeps between messages (context
        # takeover, the default); a per-message decoder, or a websockets without that attribute,
        # goes through ``PerMessageDeflate.decode``.
        self._inline_inflate = (
            deflate is not None
            and deflate.remote_no_context_takeover is False
            and isinstance(getattr(deflate, "decoder", None), type(zlib.decompressobj()))
        )
        self._max_size = max_size
        self._deliver = deliver
        self._handover = handover
        self._fail = fail
        self._still_open = still_open
        # Bytes of a frame not complete yet, and how many the next scan needs: a large frame
        # arriving in many reads is appended (amortised), not copied again on every read.
        self._buf = bytearray()
        self._need = 0
        self._fragmented = False  # inside a fragmented data message: websockets assembles it
        self._passthrough = False

    @property
    def passthrough(self) -> bool:
        """Everything now goes to websockets unsplit (see the class docstring)."""
        return self._passthrough

    def feed(self, data: bytes) -> None:
        if self._passthrough:
            self._handover(data)
            return
        if self._buf:
            self._buf += data
            if len(self._buf) < self._need:
                return
            data = bytes(self._buf)
            self._buf = bytearray()
        n = len(data)
        pos = 0
        max_size = self._max_size
        deflate = self._deflate
        texts: list[bytes] = []
        add_text = texts.append
        need = 2
        while n - pos >= 2:
            b0 = data[pos]
            b1 = data[pos + 1]
            length = b1 & 0x7F
            head = pos + 2
            if length == 126:
                if n - head < 2:
                    need = 4
                    break
                length = (data[head] << 8) | data[head + 1]
                head += 2
            elif length == 127:
                if n - head < 8:
                    need = 10
                    break
                length = int.from_bytes(data[head : head + 8], "big")
                head += 8
            opcode = b0 & 0x0F
            simple = (
                opcode == _OP_TEXT
                and b0 & _FIN
                and not b1 & _MASKED
                and not b0 & _RSV23
                and (deflate is not None or not b0 & _RSV1)
                and not self._fragmented
                and (max_size is None or length <= max_size)
            )
            if not simple and not self._handled_by_websockets(b0, b1, opcode, length):
                # Masked, reserved bits, unknown opcode, over max_size, a control frame too
                # long: websockets rejects it (and fails the connection) from here on.
                self._passthrough = True
                if texts:
                    self._deliver(texts)
                self._handover(data[pos:])
                return
            end = head + length
            if end > n:
                need = end - pos
                break
            if simple:
                payload = data[head:end]
                if b0 & _RSV1:
                    assert deflate is not None
                    try:
                        payload = self._inflate(deflate, payload)
                    except (ProtocolError, PayloadTooBig) as exc:
                        self._passthrough = True
                        if texts:
                            self._deliver(texts)
                        self._fail(exc)
                        if end < n:
                            self._handover(data[end:])  # discarded by the failed parser
                        return
                add_text(payload)
            else:
                if texts:
                    self._deliver(texts)
                    texts = []
                    add_text = texts.append
                if opcode in (_OP_TEXT, _OP_BINARY):
                    self._fragmented = not b0 & _FIN
                elif opcode == _OP_CONT and b0 & _FIN:
                    self._fragmented = False
                self._handover(data[pos:end])
                if not self._still_open():
                    self._passthrough = True
                    if end < n:
                        self._handover(data[end:])
                    return
            pos = end
        if texts:
            self._deliver(texts)
        if pos < n:
            self._buf = bytearray(data[pos:])
            self._need = need

    def _inflate(self, deflate: PerMessageDeflate, payload: bytes) -> bytes:
        """One complete compressed message, as ``PerMessageDeflate.decode`` inflates it (same
        decoder object, same limits and errors) without building two ``Frame`` objects per
        message. Messages over 2 KiB compressed take websockets' own path (its extra flush)."""
        if len(payload) >= 2044 or not self._inline_inflate:
            frame = deflate.decode(Frame(TEXT, payload, True, True), max_size=self._max_size)
            return bytes(frame.data)
        max_size = self._max_size
        decoder = deflate.decoder
        try:
            data = decoder.decompress(payload + _EMPTY_BLOCK, 0 if max_size is None else max_size)
        except zlib.error as exc:
            raise ProtocolError("decompression failed") from exc
        if decoder.unconsumed_tail:
            raise PayloadTooBig(None, max_size)
        return data

    def _handled_by_websockets(self, b0: int, b1: int, opcode: int, length: int) -> bool:
        """A well-formed frame that is not the fast case, which websockets can be handed whole
        (a control frame, binary, a fragment, or a text frame while a fragmented message is
        open) without the splitter losing track of frame boundaries."""
        if b1 & _MASKED or b0 & _RSV23:
            return False
        if b0 & _RSV1 and self._deflate is None:
            return False
        if opcode in _CONTROL:
            return length <= _MAX_CONTROL and bool(b0 & _FIN)
        if opcode not in (_OP_CONT, _OP_TEXT, _OP_BINARY):
            return False
        return self._max_size is None or length <= self._max_size
