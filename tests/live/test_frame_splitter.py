"""The receive fast path (``live.frame_splitter`` and its use in ``live.handshake``): the splitter
cuts a server's byte stream into the same frames whatever the network's chunking, decodes exactly
the complete unfragmented text messages (inflated with the connection's own decoder), hands every
other frame over byte for byte, gives up on anything unusual, and fails the connection on bad
compressed data as websockets would. Streams are built with websockets' own encoder; the network
half uses a hand-made server on a loopback port that writes crafted frames."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import itertools
import json
import random
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from timeouts import scaled
from websockets.exceptions import PayloadTooBig, ProtocolError
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Close, Frame, Opcode
from websockets.streams import StreamReader

from netra_diag.live import Session, SessionConnector
from netra_diag.live.frame_splitter import FrameSplitter
from netra_diag.live.handshake import StampedConnection
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

USER = "user-splitter"
MAX_SIZE = 1 << 20


# -- building server-side streams with websockets' encoder ------------------------------------


def deflate_pair(no_context_takeover: bool = False) -> tuple[PerMessageDeflate, PerMessageDeflate]:
    """(server encoder, client decoder) with matching parameters; a fresh pair per stream, since
    both ends keep a compression context from one message to the next."""
    server = PerMessageDeflate(False, no_context_takeover, 15, 15)
    client = PerMessageDeflate(no_context_takeover, False, 15, 15)
    return server, client


@lru_cache(maxsize=64)
def make_text(nbytes: int, seed: int) -> bytes:
    """``nbytes`` of UTF-8 (random letters, so compressed frames stay long, with a couple of
    multi-byte characters), the same for the same arguments."""
    rng = random.Random(nbytes * 7919 + seed)
    chars = rng.choices(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}", k=nbytes
    )
    if nbytes >= 16:
        chars[0:2] = ["é"]  # 2 bytes for 2 characters: the length in bytes is unchanged
        chars[nbytes // 2 - 1 : nbytes // 2 + 2] = ["€"]  # 3 bytes for 3
    data = "".join(chars).encode()
    assert len(data) == nbytes
    return data


def encode(
    opcode: Opcode, data: bytes, *, fin: bool = True, ext: PerMessageDeflate | None = None
) -> bytes:
    """One server frame (unmasked), compressed when ``ext`` is given."""
    return Frame(opcode, data, fin).serialize(mask=False, extensions=[ext] if ext else [])


@dataclass(frozen=True)
class Spec:
    """One item of a generated stream."""

    kind: str  # text, binary, ping, pong, fragmented, close
    size: int = 0
    compressed: bool = False
    parts: int = 1
    ping_inside: bool = False
    seed: int = 0


@dataclass
class Built:
    stream: bytes
    calls: list[tuple[str, bytes]]  # ("deliver", payload) or ("frame", exact frame bytes)
    seen: list[tuple[str, bytes]]  # every message and control frame, in order, decoded
    tail: bytes = b""  # what follows a close frame: handed over unsplit


def build_stream(specs: Iterable[Spec], server: PerMessageDeflate | None) -> Built:
    out = bytearray()
    built = Built(b"", [], [])

    def put(kind: str, frame: bytes, data: bytes = b"") -> None:
        out.extend(frame)
        built.calls.append((kind, data if kind == "deliver" else frame))

    for spec in specs:
        ext = server if spec.compressed else None
        data = make_text(spec.size, spec.seed)
        if spec.kind == "text":
            put("deliver", encode(Opcode.TEXT, data, ext=ext), data)
            built.seen.append(("text", data))
        elif spec.kind == "binary":
            put("frame", encode(Opcode.BINARY, data, ext=ext))
            built.seen.append(("binary", data))
        elif spec.kind in ("ping", "pong"):
            data = data[:125]
            put("frame", encode(Opcode[spec.kind.upper()], data))
            built.seen.append((spec.kind, data))
        elif spec.kind == "fragmented":
            step = -(-len(data) // spec.parts) if data else 1
            pieces = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
            if len(pieces) == 1:
                pieces.append(b"")  # at least a first frame and a final continuation
            for i, piece in enumerate(pieces):
                opcode = Opcode.TEXT if i == 0 else Opcode.CONT
                put("frame", encode(opcode, piece, fin=i == len(pieces) - 1, ext=ext))
                if i == 0 and spec.ping_inside:
                    put("frame", encode(Opcode.PING, b"inside"))
                    built.seen.append(("ping", b"inside"))
            built.seen.append(("text", data))
        elif spec.kind == "close":
            payload = Close(1000, "bye").serialize()
            put("frame", encode(Opcode.CLOSE, payload))
            built.seen.append(("close", payload))
            # After a close websockets takes everything unsplit; the tail is anything valid.
            rest = encode(Opcode.TEXT, b"after close") + encode(Opcode.PING, b"late")
            out.extend(rest)
            built.tail = rest
            break
        else:  # pragma: no cover - a typo in a spec
            raise AssertionError(spec.kind)
    built.stream = bytes(out)
    return built


def parse_frame(
    data: bytes, deflate: PerMessageDeflate | None, max_size: int | None = None
) -> tuple[Frame, int]:
    """websockets' own parser on ``data``: the first frame and how many bytes it used."""
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(
        reader.read_exact, mask=False, max_size=max_size, extensions=[deflate] if deflate else []
    )
    try:
        next(parser)
    except StopIteration as stop:
        return stop.value, len(data) - len(reader.buffer)
    raise AssertionError("not a complete frame")


# -- driving a splitter -----------------------------------------------------------------------


@dataclass
class Calls:
    """What a splitter did. Frames handed over before passthrough are parsed (and inflated) with
    the same decoder, as websockets does in a session, so the next compressed message still
    inflates; everything handed over in passthrough is collected in ``tail``."""

    deflate: PerMessageDeflate | None
    max_size: int | None
    calls: list[tuple[str, bytes]] = field(default_factory=list)
    seen: list[tuple[str, bytes]] = field(default_factory=list)
    tail: bytearray = field(default_factory=bytearray)
    failures: list[Exception] = field(default_factory=list)
    batches: list[list[bytes]] = field(default_factory=list)  # each deliver() call's messages
    closed: bool = False
    splitter: FrameSplitter | None = None
    _kind: Opcode = Opcode.TEXT
    _fragments: list[bytes] = field(default_factory=list)

    def make_splitter(self) -> FrameSplitter:
        self.splitter = FrameSplitter(
            deflate=self.deflate,
            max_size=self.max_size,
            deliver=self.deliver,
            handover=self.handover,
            fail=self.failures.append,
            still_open=lambda: not self.closed,
        )
        return self.splitter

    def deliver(self, payloads: bytes | list[bytes]) -> None:
        """One message, or the messages of one feed in order (either way of calling is
        recorded message by message: their order among the handovers is what counts)."""
        assert not self.failures, "delivered after a failure"
        batch = [payloads] if isinstance(payloads, bytes) else list(payloads)
        self.batches.append(batch)
        for payload in batch:
            assert isinstance(payload, bytes)
            self.calls.append(("deliver", payload))
            self.seen.append(("text", payload))

    def handover(self, data: bytes) -> None:
        assert self.splitter is not None
        if self.splitter.passthrough:
            self.tail += data
            return
        frame, used = parse_frame(data, self.deflate)
        assert used == len(data), "a handover must be exactly one frame"
        self.calls.append(("frame", bytes(data)))
        payload = bytes(frame.data)
        if frame.opcode in (Opcode.PING, Opcode.PONG, Opcode.CLOSE):
            self.seen.append((frame.opcode.name.lower(), payload))
            self.closed |= frame.opcode is Opcode.CLOSE
            return
        if frame.opcode is Opcode.CONT:
            self._fragments.append(payload)
        else:
            self._kind, self._fragments = frame.opcode, [payload]
        if frame.fin:
            kind = "text" if self._kind is Opcode.TEXT else "binary"
            self.seen.append((kind, b"".join(self._fragments)))


def cut(stream: bytes, points: Iterable[int]) -> list[bytes]:
    edges = sorted({0, len(stream), *(p for p in points if 0 < p < len(stream))})
    return [stream[a:b] for a, b in itertools.pairwise(edges)]


def feed(
    chunks: Iterable[bytes],
    *,
    no_context_takeover: bool = False,
    negotiated: bool = True,
    max_size: int | None = MAX_SIZE,
) -> Calls:
    """Feed ``chunks`` to a fresh splitter with a fresh decoder (inflation is stateful)."""
    deflate = deflate_pair(no_context_takeover)[1] if negotiated else None
    calls = Calls(deflate, max_size)
    splitter = calls.make_splitter()
    for chunk in chunks:
        splitter.feed(chunk)
    return calls


# -- 1. any chunking gives the same calls ------------------------------------------------------

SMALL_SIZES = (0, 1, 5, 100, 125, 126, 127, 1000, 3000, 65535)
LARGE_SIZES = (65536, 100_000)  # 64-bit lengths, compressed ones included (random letters)


def specs_strategy(negotiated: bool) -> st.SearchStrategy[list[Spec]]:
    size = st.one_of(*(st.just(s) for s in SMALL_SIZES * 3), *(st.just(s) for s in LARGE_SIZES))
    compressed = st.booleans() if negotiated else st.just(False)
    seed = st.integers(0, 3)
    spec = st.one_of(
        st.builds(Spec, st.just("text"), size, compressed, seed=seed),
        st.builds(Spec, st.just("text"), size, compressed, seed=seed),
        st.builds(Spec, st.just("binary"), st.sampled_from(SMALL_SIZES), compressed, seed=seed),
        st.builds(Spec, st.sampled_from(["ping", "pong"]), st.integers(0, 125)),
        st.builds(
            Spec,
            st.just("fragmented"),
            st.sampled_from(SMALL_SIZES),
            compressed,
            st.integers(1, 4),
            st.booleans(),
            seed,
        ),
    )
    ending: st.SearchStrategy[list[Spec]] = st.sampled_from([[], [Spec("close")]])
    return st.tuples(st.lists(spec, max_size=6), ending).map(lambda t: t[0] + t[1])


@st.composite
def streams(draw: st.DrawFn) -> tuple[Built, bool, bool, int | None, list[int]]:
    negotiated = draw(st.booleans())
    max_size = draw(st.sampled_from([None, MAX_SIZE]))
    no_context_takeover = draw(st.booleans())
    specs = draw(specs_strategy(negotiated))
    server = deflate_pair(no_context_takeover)[0]
    built = build_stream(specs, server)
    n = len(built.stream)
    points = draw(st.lists(st.integers(0, n), max_size=30))
    # A stretch fed one byte at a time: headers of every length cut at every byte.
    start = draw(st.integers(0, n))
    points += range(start, start + draw(st.integers(0, 80)))
    return built, negotiated, no_context_takeover, max_size, points


@settings(max_examples=150, derandomize=True)
@given(streams())
def test_any_chunking_gives_the_calls_of_one_feed(
    case: tuple[Built, bool, bool, int | None, list[int]],
) -> None:
    built, negotiated, no_context_takeover, max_size, points = case
    options = {"negotiated": negotiated, "no_context_takeover": no_context_takeover}
    whole = feed([built.stream], max_size=max_size, **options)
    chunked = feed(cut(built.stream, points), max_size=max_size, **options)
    for calls in (whole, chunked):
        assert calls.calls == built.calls
        assert calls.seen == built.seen
        assert bytes(calls.tail) == built.tail
        assert not calls.failures
        assert calls.splitter is not None
        assert calls.splitter.passthrough is bool(built.tail)


def frame_heads(stream: bytes) -> list[tuple[int, int, int]]:
    """(first byte, 7-bit length code, payload length) of each frame of an unmasked stream."""
    heads = []
    pos = 0
    while pos < len(stream):
        code = stream[pos + 1] & 0x7F
        head = pos + 2 + {126: 2, 127: 8}.get(code, 0)
        length = int.from_bytes(stream[pos + 2 : head], "big") if code >= 126 else code
        heads.append((stream[pos], code, length))
        pos = head + length
    return heads


def every_kind_of_frame(server: PerMessageDeflate) -> Built:
    specs = [
        Spec("text", 0),
        Spec("text", 0, compressed=True),
        Spec("text", 125, compressed=True),
        Spec("text", 126),
        Spec("text", 65535),
        Spec("text", 65536),
        Spec("ping", 125),
        Spec("text", 100_000, compressed=True),  # 64-bit length on the wire too
        Spec("binary", 300, compressed=True),
        Spec("fragmented", 3000, compressed=True, parts=3, ping_inside=True),
        Spec("text", 3000, compressed=True, seed=1),  # inflates against the fragments' window
        Spec("pong", 7),
        Spec("fragmented", 200, parts=2),
        Spec("text", 10, seed=2),
        Spec("close"),
    ]
    return build_stream(specs, server)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 4096])
def test_fixed_chunk_sizes_down_to_one_byte(size: int) -> None:
    server, _ = deflate_pair()
    built = every_kind_of_frame(server)
    stream = built.stream
    kinds = {(b0, code) for b0, code, _ in frame_heads(stream)}
    for b0 in (0x81, 0xC1):  # final text frames, uncompressed and compressed: 7, 16, 64 bits
        codes = {code for first, code in kinds if first == b0}
        assert min(codes) < 126 and {126, 127} <= codes
    calls = feed(stream[i : i + size] for i in range(0, len(stream), size))
    assert calls.calls == built.calls
    assert calls.seen == built.seen
    assert bytes(calls.tail) == built.tail
    assert not calls.failures


def test_delivered_payloads_are_the_original_texts() -> None:
    server, _ = deflate_pair()
    texts = [b"", b"{}", make_text(126, 0), make_text(70_000, 3), "ünïcödé ✓".encode()]
    stream = b"".join(encode(Opcode.TEXT, t, ext=server) for t in texts)
    stream += b"".join(encode(Opcode.TEXT, t) for t in texts)
    calls = feed([stream])
    assert calls.calls == [("deliver", t) for t in texts * 2]


def test_the_messages_of_one_feed_come_in_one_call_before_the_next_handover() -> None:
    server, _ = deflate_pair()
    texts = [b'{"n": %d}' % i for i in range(6)]
    ping = encode(Opcode.PING, b"p")
    stream = b"".join(encode(Opcode.TEXT, t, ext=server) for t in texts[:3])
    stream += ping + b"".join(encode(Opcode.TEXT, t, ext=server) for t in texts[3:])
    calls = feed([stream])
    assert calls.batches == [texts[:3], texts[3:]]
    assert calls.calls == [*(("deliver", t) for t in texts[:3]), ("frame", ping)] + [
        ("deliver", t) for t in texts[3:]
    ]


# -- 2. passthrough: anything unusual goes to websockets unsplit -------------------------------


def set_bits(frame: bytes, bits: int) -> bytes:
    return bytes([frame[0] | bits]) + frame[1:]


def header_length(frame: bytes) -> int:
    length = frame[1] & 0x7F
    return 2 + (2 if length == 126 else 8 if length == 127 else 0)


def _unusual_frames() -> dict[str, tuple[bytes, bool, int | None]]:
    """name -> (frame, deflate negotiated, max_size)."""
    text = encode(Opcode.TEXT, b'{"type": "x"}')
    compressed = encode(Opcode.TEXT, make_text(300, 0), ext=deflate_pair()[0])
    long_ping = bytes([0x89, 126]) + struct.pack("!H", 126) + b"p" * 126
    return {
        "masked": (Frame(Opcode.TEXT, b'{"type": "x"}').serialize(mask=True), True, MAX_SIZE),
        "rsv2": (set_bits(text, 0x20), True, MAX_SIZE),
        "rsv3": (set_bits(text, 0x10), True, MAX_SIZE),
        "rsv1 without deflate": (compressed, False, MAX_SIZE),
        "opcode 3": (bytes([0x83, 2]) + b"hi", True, MAX_SIZE),
        "opcode 0xB": (bytes([0x8B, 0]), True, MAX_SIZE),
        "text over max_size": (encode(Opcode.TEXT, make_text(1001, 0)), True, 1000),
        "64-bit text over max_size": (encode(Opcode.TEXT, make_text(70_000, 0)), True, 65536),
        "huge length": (bytes([0x81, 127]) + (1 << 62).to_bytes(8, "big"), True, MAX_SIZE),
        "binary over max_size": (encode(Opcode.BINARY, b"b" * 1001), True, 1000),
        "compressed over max_size on the wire": (compressed, True, 100),
        "control frame over 125": (long_ping, True, MAX_SIZE),
        "fragmented ping": (bytes([0x09, 1]) + b"p", True, MAX_SIZE),
    }


UNUSUAL = _unusual_frames()


@pytest.mark.parametrize("name", list(UNUSUAL))
@pytest.mark.parametrize("chunk", [None, 1, 5])
def test_an_unusual_frame_hands_the_rest_over_unsplit(name: str, chunk: int | None) -> None:
    bad, negotiated, max_size = UNUSUAL[name]
    before = encode(Opcode.TEXT, b'{"n": 1}')
    after = encode(Opcode.TEXT, b'{"n": 2}') + encode(Opcode.PING, b"x")
    stream = before + bad + after
    deflate = deflate_pair()[1] if negotiated else None
    # websockets itself refuses the frame: it fails the connection as it would without splitter.
    with pytest.raises((ProtocolError, PayloadTooBig)):
        parse_frame(bad + after, deflate, max_size)
    calls = Calls(deflate, max_size)
    splitter = calls.make_splitter()
    size = chunk or len(stream)
    switched_at = None
    for i in range(0, len(stream), size):
        splitter.feed(stream[i : i + size])
        if switched_at is None and splitter.passthrough:
            switched_at = min(i + size, len(stream))
    assert calls.calls == [("deliver", b'{"n": 1}')]
    assert bytes(calls.tail) == bad + after
    assert not calls.failures
    assert splitter.passthrough
    # Decided on the header: the frame's payload (maybe gigabytes) is never waited for.
    assert switched_at is not None
    assert switched_at <= len(before) + max(header_length(bad), size)
    splitter.feed(b"more")
    assert bytes(calls.tail) == bad + after + b"more"


def test_a_close_frame_hands_what_follows_over_unsplit() -> None:
    close = encode(Opcode.CLOSE, Close(1000, "").serialize())
    after = encode(Opcode.TEXT, b"late") * 3
    for size in (1, 3, 1000):
        stream = encode(Opcode.TEXT, b"a") + close + after
        calls = feed(stream[i : i + size] for i in range(0, len(stream), size))
        assert calls.calls == [("deliver", b"a"), ("frame", close)]
        assert bytes(calls.tail) == after
        assert calls.splitter is not None and calls.splitter.passthrough


def test_a_text_frame_inside_a_fragmented_message_is_left_to_websockets() -> None:
    """A complete text frame between the fragments of a message breaks RFC 6455 §5.4: the
    splitter must not deliver it as a message but hand it over for websockets to reject."""
    parts = [
        encode(Opcode.TEXT, b"one", fin=False),
        encode(Opcode.CONT, b"two", fin=False),
        encode(Opcode.CONT, b"three", fin=False),
    ]
    intruder = encode(Opcode.TEXT, b"intruder")
    for size in (1, 1000):
        stream = b"".join(parts) + intruder
        calls = feed(stream[i : i + size] for i in range(0, len(stream), size))
        assert calls.calls == [("frame", f) for f in [*parts, intruder]]


# -- 3. failing on bad compressed data ---------------------------------------------------------

CORRUPT = set_bits(encode(Opcode.TEXT, b"\x07\xff\xff\xff"), 0x40)  # deflate block type 3


@pytest.mark.parametrize("chunk", [None, 1, 4])
def test_corrupt_deflate_data_fails_with_protocol_error(chunk: int | None) -> None:
    server, _ = deflate_pair()
    first = encode(Opcode.TEXT, b'{"n": 1}', ext=server)
    after = encode(Opcode.TEXT, b'{"n": 2}', ext=server) + encode(Opcode.TEXT, b"plain")
    stream = first + CORRUPT + after
    size = chunk or len(stream)
    calls = feed(stream[i : i + size] for i in range(0, len(stream), size))
    assert calls.calls == [("deliver", b'{"n": 1}')]
    assert len(calls.failures) == 1 and isinstance(calls.failures[0], ProtocolError)
    assert bytes(calls.tail) == after  # given to the failed parser, which discards it
    assert calls.splitter is not None and calls.splitter.passthrough


@pytest.mark.parametrize("chunk", [None, 1])
def test_a_compressed_bomb_fails_with_payload_too_big(chunk: int | None) -> None:
    server, _ = deflate_pair()
    first = encode(Opcode.TEXT, b'{"n": 1}', ext=server)  # encoded in stream order: one context
    bomb = encode(Opcode.TEXT, b"a" * 50_000, ext=server)
    assert len(bomb) < 1000  # small on the wire: only inflating finds it too big
    after = encode(Opcode.TEXT, b'{"n": 2}', ext=server)
    stream = first + bomb + after
    size = chunk or len(stream)
    calls = feed((stream[i : i + size] for i in range(0, len(stream), size)), max_size=1000)
    assert calls.calls == [("deliver", b'{"n": 1}')]
    assert len(calls.failures) == 1 and isinstance(calls.failures[0], PayloadTooBig)
    assert bytes(calls.tail) == after


@pytest.mark.parametrize(
    ("inflated", "max_size"),
    [(999, 1000), (1000, 1000), (1001, 1000), (3000, 2999), (3000, 3000), (3000, 3001)],
)
def test_the_inflated_size_limit_is_the_one_websockets_applies(
    inflated: int, max_size: int
) -> None:
    server, _ = deflate_pair()
    text = b"a" * inflated if inflated < 2000 else make_text(inflated, 0)
    frame = encode(Opcode.TEXT, text, ext=server)
    if inflated >= 2000:
        assert len(frame) > 2044  # websockets' other inflating branch
    try:
        reference: object = bytes(parse_frame(frame, deflate_pair()[1], max_size)[0].data)
    except PayloadTooBig:
        reference = PayloadTooBig
    calls = feed([frame], max_size=max_size)
    got: object = calls.calls[0][1] if calls.calls else type(calls.failures[0])
    assert got == reference
    assert (got == text) is (inflated <= max_size)


# -- 4. real sockets: a hand-made server on a loopback port -------------------------------------

ESTABLISHED = json.dumps({"type": "connection_established", "data": {"user_id": USER}}).encode()
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def token() -> str:
    return mint_token(USER, key=LOCAL_DEV_SECRET, now=time.time())


def event(step: int, pad: int = 0) -> bytes:
    body = {"type": "agent_thinking", "thread_id": "t1", "user_id": USER, "step": step}
    if pad:
        body["pad"] = make_text(pad, step).decode()
    return json.dumps(body).encode()


@dataclass
class Peer:
    """The server side of one connection: writes crafted frames, reads the client's."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    response: bytes  # the 101 response, not written yet: the script decides with what
    deflate: PerMessageDeflate | None  # the server's compressor, when negotiated

    def text(self, data: bytes, *, compressed: bool = True) -> bytes:
        """A text frame, compressed when asked and negotiated."""
        return encode(Opcode.TEXT, data, ext=self.deflate if compressed else None)

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_frame(self) -> tuple[Opcode, bytes]:
        """One client frame (masked, as RFC 6455 §5.3 requires), unmasked; a compressed data
        frame's payload is left compressed (only control frames are read for content)."""
        head = await self.reader.readexactly(2)
        assert head[1] & 0x80, "client frames are masked"
        length = head[1] & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4)
        data = await self.reader.readexactly(length)
        return Opcode(head[0] & 0x0F), bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    async def read_until(self, opcode: Opcode) -> bytes:
        while True:
            got, data = await self.read_frame()
            if got is opcode:
                return data

    async def closing_handshake(self) -> int:
        """Wait for the client's close frame, answer it, and return its code."""
        payload = await self.read_until(Opcode.CLOSE)
        await self.write(encode(Opcode.CLOSE, payload))
        return Close.parse(payload).code


Script = Callable[[Peer], Awaitable[None]]


@dataclass
class RawServer:
    url: str
    done: asyncio.Future[None]


# The Sec-WebSocket-Extensions answers used, with the server compressor each one implies
# (PerMessageDeflate(remote_no_context_takeover, local_no_context_takeover, remote_bits,
# local_bits), RFC 7692 §7.1).
ANSWERS: dict[str | None, Callable[[], PerMessageDeflate | None]] = {
    None: lambda: None,  # the offer is declined: no compression
    "permessage-deflate": lambda: PerMessageDeflate(False, False, 15, 15),
    "permessage-deflate; server_no_context_takeover": lambda: PerMessageDeflate(
        False, True, 15, 15
    ),
    "permessage-deflate; server_max_window_bits=10": lambda: PerMessageDeflate(
        False, False, 15, 10
    ),
}


async def upgrade(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: str | None
) -> Peer:
    """Read the client's upgrade request; prepare the 101 response (RFC 6455 §4.2.2)."""
    request = await reader.readuntil(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in request.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    digest = hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest()
    lines = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {base64.b64encode(digest).decode()}",
    ]
    assert "permessage-deflate" in headers.get("sec-websocket-extensions", "")
    if answer is not None:
        lines.append(f"Sec-WebSocket-Extensions: {answer}")
    response = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return Peer(reader, writer, response, ANSWERS[answer]())


@contextlib.asynccontextmanager
async def raw_server(
    script: Script, answer: str | None = "permessage-deflate"
) -> AsyncIterator[RawServer]:
    """A server for one connection that upgrades by hand (answering the client's compression
    offer with ``answer``), then runs ``script``; ``done`` holds the script's outcome (its
    exception, if it failed)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await script(await upgrade(reader, writer, answer))
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
        else:
            if not done.done():
                done.set_result(None)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        try:
            yield RawServer(f"ws://127.0.0.1:{port}/ws", done)
        finally:
            if not done.done():
                done.cancel()
            elif not done.cancelled() and (failure := done.exception()) is not None:
                raise failure  # the server script's failure explains what the client saw


def connect(
    url: str, max_size: int | None = MAX_SIZE, record: Path | None = None
) -> SessionConnector:
    return Session.connect(
        url, token=token(), transport="header", ping_every=None, max_size=max_size, record=record
    )


def stamped(session: Session) -> StampedConnection:
    ws = session._conn._ws
    assert ws is not None
    return ws


async def steps_until_closed(session: Session) -> list[object]:
    """The ``step`` of every event until the session ends."""
    return [te.event.get("step") async for te in session]


@pytest.mark.parametrize("answer", list(ANSWERS))
async def test_frames_in_the_same_write_as_the_upgrade_arrive_in_order(answer: str | None) -> None:
    n = 40

    async def script(peer: Peer) -> None:
        assert (peer.deflate is not None) is (answer is not None)
        frames = [peer.text(ESTABLISHED)]
        for i in range(n):
            pad = (0, 200, 70_000)[i % 3] if i % 7 else 0
            frames.append(peer.text(event(i, pad), compressed=i % 2 == 0))
            if i == 10:
                frames.append(encode(Opcode.PING, b"early"))
            if i == 20:  # a fragmented message: websockets assembles it
                data = event(1000)
                frames.append(encode(Opcode.TEXT, data[:10], fin=False))
                frames.append(encode(Opcode.CONT, data[10:]))
        await peer.write(peer.response + b"".join(frames))
        assert await peer.read_until(Opcode.PONG) == b"early"
        assert await peer.closing_handshake() == 1000

    async with asyncio.timeout(scaled(5)), raw_server(script, answer) as server:
        async with connect(server.url) as session:
            assert session.user_id == USER
            got = [(await session.recv(timeout=scaled(3))).event.get("step") for _ in range(n + 1)]
            ws = stamped(session)
            assert ws._splitter is not None and not ws._splitter.passthrough
        await server.done
    expected = [*range(21), 1000, *range(21, n)]
    assert got == expected


async def test_a_frame_written_one_byte_at_a_time_arrives_whole() -> None:
    small = event(1, pad=300)
    large = event(2, pad=70_000)

    async def script(peer: Peer) -> None:
        assert peer.deflate is not None
        await peer.write(peer.response + peer.text(ESTABLISHED))
        compressed = peer.text(small)
        assert compressed[1] == 126  # a 16-bit length
        for i in range(len(compressed)):
            await peer.write(compressed[i : i + 1])
            await asyncio.sleep(0.0005)
        big = peer.text(large, compressed=False)
        assert big[1] == 127  # a 64-bit length
        for i in range(10):  # the 64-bit length header, a byte at a time
            await peer.write(big[i : i + 1])
            await asyncio.sleep(0.001)
        for i in range(10, len(big), 9_999):
            await peer.write(big[i : i + 9_999])
            await asyncio.sleep(0.001)
        await peer.write(peer.text(event(3)))
        assert await peer.closing_handshake() == 1000

    async with asyncio.timeout(scaled(5)), raw_server(script) as server:
        async with connect(server.url) as session:
            got = [await session.recv(timeout=scaled(3)) for _ in range(3)]
            ws = stamped(session)
            assert ws._splitter is not None and not ws._splitter.passthrough
        await server.done
    assert [dict(te.event.fields) for te in got] == [
        json.loads(small),
        json.loads(large),
        json.loads(event(3)),
    ]


# How a bad frame reaches the client: in the same write as the upgrade response (the session's
# reader does not exist yet: the message buffer path), or after the client's first request (the
# reader is waiting: the sink path); followed by a good frame in the same read, or by nothing
# (then only the failure itself may send the close frame).
WHEN = ["with-upgrade", "after-request"]


async def failing_stream(
    bad: Callable[[Peer], bytes],
    *,
    when: str,
    trailing: bool,
    max_size: int | None = MAX_SIZE,
) -> tuple[list[object], int, Session]:
    """The server sends ``connection_established``, event 1, the frame ``bad`` builds and, if
    ``trailing``, event 2; returns the steps the session received until it ended, the code of
    the client's close frame (read on the server) and the session."""
    codes: list[int] = []

    async def script(peer: Peer) -> None:
        assert peer.deflate is not None
        # Encoded in stream order: the server's compression context runs through them all.
        opening = peer.response + peer.text(ESTABLISHED) + peer.text(event(1))
        frames = bad(peer) + (peer.text(event(2)) if trailing else b"")
        if when == "with-upgrade":
            await peer.write(opening + frames)
        else:
            await peer.write(opening)
            await peer.read_until(Opcode.TEXT)  # the session is up, its reader waiting
            await peer.write(frames)
        codes.append(await peer.closing_handshake())

    async with asyncio.timeout(scaled(5)), raw_server(script) as server:
        async with connect(server.url, max_size=max_size) as session:
            if when == "after-request":
                await session.send_raw({"type": "go"})
            received = await steps_until_closed(session)
            assert not session.is_open
        await server.done
    return received, codes[0], session


def assert_failed_by_client(session: Session, code: int) -> None:
    """The client's protocol stack failed the connection with ``code`` and the session ended."""
    ws = session._conn._ws
    assert ws is not None and ws.protocol.close_sent is not None
    assert ws.protocol.close_sent.code == code
    assert session.close_info is not None


def inflating_over(size: int) -> Callable[[Peer], bytes]:
    return lambda peer: peer.text(b'{"pad": "' + b"a" * size + b'"}')


def invalid_utf8(compressed: bool) -> Callable[[Peer], bytes]:
    return lambda peer: peer.text(b'{"bad": "\xff\xfe"}', compressed=compressed)


MASKED = Frame(Opcode.TEXT, event(9)).serialize(mask=True)


@pytest.mark.parametrize("trailing", [True, False])
@pytest.mark.parametrize("when", WHEN)
async def test_corrupt_compressed_data_closes_1002(when: str, trailing: bool) -> None:
    received, code, session = await failing_stream(
        lambda peer: CORRUPT, when=when, trailing=trailing
    )
    assert code == 1002
    assert received == [1]  # nothing after the corrupt frame
    assert_failed_by_client(session, 1002)


@pytest.mark.parametrize("trailing", [True, False])
@pytest.mark.parametrize("when", WHEN)
async def test_a_message_inflating_over_max_size_closes_1009(when: str, trailing: bool) -> None:
    received, code, session = await failing_stream(
        inflating_over(50_000), when=when, trailing=trailing, max_size=1000
    )
    assert code == 1009
    assert received == [1]
    assert_failed_by_client(session, 1009)


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("when", WHEN)
async def test_invalid_utf8_in_a_text_frame_closes_1007(when: str, compressed: bool) -> None:
    received, code, session = await failing_stream(
        invalid_utf8(compressed), when=when, trailing=True
    )
    assert code == 1007
    assert received == [1]
    assert_failed_by_client(session, 1007)


@pytest.mark.parametrize("when", WHEN)
async def test_a_masked_frame_is_failed_by_websockets_parser_1002(when: str) -> None:
    """Passthrough on a real connection: websockets' own parser rejects the frame."""
    received, code, session = await failing_stream(lambda peer: MASKED, when=when, trailing=True)
    assert code == 1002
    assert received == [1]
    ws = stamped(session)
    assert ws._splitter is not None and ws._splitter.passthrough
    assert_failed_by_client(session, 1002)


@pytest.mark.parametrize(
    ("bad", "max_size", "code"),
    [
        pytest.param(lambda peer: CORRUPT, MAX_SIZE, 1002, id="corrupt-deflate"),
        pytest.param(inflating_over(50_000), 1000, 1009, id="inflates-over-max_size"),
        pytest.param(invalid_utf8(False), MAX_SIZE, 1007, id="invalid-utf8"),
        pytest.param(lambda peer: MASKED, MAX_SIZE, 1002, id="masked-websockets-parser"),
    ],
)
async def test_close_info_names_the_code_the_client_failed_with(
    bad: Callable[[Peer], bytes], max_size: int, code: int
) -> None:
    """The session's ``CloseInfo`` should say what ended the connection: the client closed it
    with ``code`` (the server read that code and echoed it), not a drop without a close frame."""
    _, sent, session = await failing_stream(
        bad, when="after-request", trailing=True, max_size=max_size
    )
    assert sent == code
    info = session.close_info
    assert info is not None
    assert (info.code, info.initiated_by) == (code, "client"), info.explanation()


@pytest.mark.parametrize("when", WHEN)
async def test_nothing_after_the_servers_close_frame_is_delivered(when: str) -> None:
    codes: list[int] = []

    async def script(peer: Peer) -> None:
        opening = peer.response + peer.text(ESTABLISHED) + peer.text(event(1))
        close = encode(Opcode.CLOSE, Close(4001, "done").serialize())
        frames = close + peer.text(event(2)) + peer.text(event(3), compressed=False)
        if when == "with-upgrade":
            await peer.write(opening + frames)
        else:
            await peer.write(opening)
            await peer.read_until(Opcode.TEXT)
            await peer.write(frames)
        codes.append(Close.parse(await peer.read_until(Opcode.CLOSE)).code)

    async with asyncio.timeout(scaled(5)), raw_server(script) as server:
        async with connect(server.url) as session:
            if when == "after-request":
                await session.send_raw({"type": "go"})
            received = await steps_until_closed(session)
            ws = stamped(session)
            assert ws._splitter is not None and ws._splitter.passthrough
        await server.done
    assert received == [1]
    assert codes == [4001]  # the client's answer echoes the code (RFC 6455 §5.5.1)
    info = session.close_info
    assert info is not None
    assert (info.code, info.reason, info.initiated_by) == (4001, "done", "server")


async def test_a_heartbeat_declined_by_the_sink_keeps_its_place(tmp_path: Path) -> None:
    """The session's sink hands a ``heartbeat`` back (the reader task answers it): the messages
    after it in the same read wait behind it, and the cassette has every frame once, in order,
    byte for byte."""
    heartbeat = json.dumps({"type": "heartbeat", "user_id": USER}).encode()
    later = [event(1), heartbeat, *(event(i) for i in range(2, 12))]

    async def script(peer: Peer) -> None:
        await peer.write(peer.response + peer.text(ESTABLISHED))
        await peer.read_until(Opcode.TEXT)  # the session is up, its reader waiting
        await peer.write(b"".join(peer.text(t, compressed=i % 2 == 0) for i, t in enumerate(later)))
        await peer.read_until(Opcode.TEXT)  # the heartbeat_ack (compressed: content not read)
        assert await peer.closing_handshake() == 1000

    path = tmp_path / "heartbeat.jsonl"
    async with asyncio.timeout(scaled(5)), raw_server(script) as server:
        async with connect(server.url, record=path) as session:
            await session.send_raw({"type": "go"})
            got = [await session.recv(timeout=scaled(3)) for _ in range(11)]
            for _ in range(100):
                if any(m.name == "heartbeat_answered" for m in session.marks):
                    break
                await asyncio.sleep(0.01)
            assert any(m.name == "heartbeat_answered" for m in session.marks)
        await server.done
    assert [te.event.get("step") for te in got] == list(range(1, 12))
    history = session.history
    assert [te.type for te in history] == [
        "connection_established",
        "agent_thinking",
        "heartbeat",
        *["agent_thinking"] * 10,
    ]
    assert [te.index for te in history] == list(range(len(history)))
    cassette = load_cassette(path)
    incoming = [f.text for f in cassette.frames if f.dir == "in"]
    assert incoming == [t.decode() for t in [ESTABLISHED, *later]]
    outgoing = [json.loads(f.text or "{}").get("type") for f in cassette.frames if f.dir == "out"]
    assert outgoing == ["go", "heartbeat_ack"]
    times = [f.t_ns for f in cassette.frames if f.dir == "in"]
    assert times == sorted(times)
    assert not cassette.warnings


async def test_a_ping_mid_stream_is_answered_and_the_fast_path_goes_on() -> None:
    async def script(peer: Peer) -> None:
        await peer.write(peer.response + peer.text(ESTABLISHED) + peer.text(event(1)))
        await peer.read_until(Opcode.TEXT)  # the session is up: messages go to its sink
        await peer.write(peer.text(event(2)) + encode(Opcode.PING, b"mid") + peer.text(event(3)))
        assert await peer.read_until(Opcode.PONG) == b"mid"
        # A fragmented message (websockets assembles it; the sink steps aside until the
        # buffer it went to is read), then more single-frame messages.
        data = event(4)
        frames = encode(Opcode.TEXT, data[:7], fin=False) + encode(Opcode.CONT, data[7:])
        frames += b"".join(peer.text(event(i), compressed=i % 2 == 0) for i in range(5, 50))
        await peer.write(frames)
        assert await peer.closing_handshake() == 1000

    async with asyncio.timeout(scaled(5)), raw_server(script) as server:
        async with connect(server.url) as session:
            await session.send_raw({"type": "go"})
            got = [await session.recv(timeout=scaled(3)) for _ in range(49)]
            ws = stamped(session)
            assert ws._splitter is not None and not ws._splitter.passthrough
            assert not ws.arrivals  # one arrival stamp per buffered message, all taken
            for _ in range(100):  # the reader hands the sink back once its buffer is empty
                if ws.sink is not None:
                    break
                await asyncio.sleep(0.01)
            assert ws.sink is not None
        await server.done
    assert [te.event.get("step") for te in got] == list(range(1, 50))
    times = [te.t for te in got]
    assert times == sorted(times)


async def test_an_upgrade_response_cut_anywhere_still_starts_the_splitter() -> None:
    """The end of the headers split over reads (``\\r\\n\\r`` + ``\\n``), frames right after."""

    async def script(peer: Peer) -> None:
        response = peer.response
        pieces = [response[:20], response[20:-3], response[-3:-1], response[-1:]]
        for piece in pieces[:-1]:
            await peer.write(piece)
            await asyncio.sleep(0.005)
        await peer.write(pieces[-1] + peer.text(ESTABLISHED) + peer.text(event(1)))
        await peer.write(peer.text(event(2), compressed=False))
        assert await peer.closing_handshake() == 1000

    async with asyncio.timeout(scaled(5)), raw_server(script) as server:
        async with connect(server.url) as session:
            got = [await session.recv(timeout=scaled(3)) for _ in range(2)]
            ws = stamped(session)
            assert ws._splitter is not None and not ws._splitter.passthrough
        await server.done
    assert [te.event.get("step") for te in got] == [1, 2]
