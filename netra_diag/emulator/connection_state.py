"""What the reference service keeps about one WebSocket connection, and how it writes to one.

``ConnState`` is set up in the upgrade hook (``server``), carried on the websockets connection
(``EmulatorConnection.netra``) and read by the message loop (``connection``) and by the agent runs
(``runs``); it is also what ``router`` delivers to. Frames go out through ``send_text``, which
turns a closed connection into ``False`` so that neither a loop nor a run has to catch it.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import DATA_OPCODES, Frame
from websockets.typing import Data

if TYPE_CHECKING:
    from websockets.protocol import Event

from netra_diag.emulator.auth import AuthDecision, Credentials
from netra_diag.emulator.config import Fault, FaultPlan
from netra_diag.live.stamping import StampingSocket, accepted_socket, rx_age_ns

__all__ = ["ConnState", "EmulatorConnection", "encode_frame", "send_text"]


@dataclass(eq=False)
class ConnState:
    """Everything the service knows about one connection (set up during the handshake)."""

    connection_id: str
    seq: int
    mode: str
    envelope: str
    plan: FaultPlan
    creds: Credentials
    decision: AuthDecision
    conn_faults: frozenset[Fault]
    fault_rng: random.Random
    id_rng: random.Random
    envelope_rng: random.Random
    time_scale: float | None = None
    auth_close_code: int = 1008
    legacy_test: bool = False
    ws: ServerConnection | None = None
    user_id: str = ""
    threads: set[str] = field(default_factory=set)
    runs: set[asyncio.Task[None]] = field(default_factory=set)
    events_seq: int = 0
    run_count: int = 0
    heartbeat_fault_logged: bool = False
    heard_client: bool = False
    # Set by the newest generation's handshake: the default thread of this connection's runs,
    # and the run id the first run that names none is given.
    handshake_thread: str | None = None
    handshake_run: str | None = None
    # How long the newest generation's handshake waits (None: no handshake), read from the query
    # before the upgrade, where a malformed value is refused with HTTP 400.
    handshake_s: float | None = None

    def new_id(self, prefix: str) -> str:
        # The first 16 hex digits of a UUID made from 128 random bits, as before, without
        # building the UUID (a quarter of the cost, on every run a request starts).
        return f"{prefix}_{self.id_rng.getrandbits(128) >> 64:016x}"

    def take_handshake_run(self) -> str | None:
        run_id, self.handshake_run = self.handshake_run, None
        return run_id


class EmulatorConnection(ServerConnection):
    """A websockets server connection that carries the service's per-connection state, and
    knows when each message it hands out was read off the socket.

    A run's injected delays count from the moment its request arrived (``arrived``), not from
    when the message loop got round to it: when 200 requests land together, the loop takes
    ~10 ms to start all their runs, and counting from each start added that to every first
    event's delay. Each complete data frame is stamped with the time its bytes arrived: the
    kernel's receive time where the service listens on a ``StampingListener``
    (``live.stamping``; the service's own socket for an IP literal host), else the time
    ``data_received`` ran (as soon as the loop saw the socket readable, before any handler).
    ``recv`` hands the stamp of the message it returns to ``arrived``.
    """

    netra: ConnState | None = None
    # loop.time() of the read that completed the message ``recv`` returned last
    arrived: float = 0.0
    _read_at: float = 0.0
    _stamps: deque[float] | None = None
    # The socket under the transport when it keeps kernel receive times (``live.stamping``).
    _rx_socket: StampingSocket | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            self._rx_socket = accepted_socket(sock.fileno())

    def data_received(self, data: bytes) -> None:
        # When the kernel received the data: the loop reads 200 sockets that became readable
        # together one after another, ~20 us each, so the last is read ~4 ms after its request
        # came in, and the run's delays would count from then.
        now = self.loop.time()
        sock = self._rx_socket
        if sock is not None:
            age = rx_age_ns(sock.rx_realtime_ns, time.time_ns())
            if age is not None:
                now -= age / 1e9
        self._read_at = now
        super().data_received(data)

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame) and event.fin and event.opcode in DATA_OPCODES:
            if self._stamps is None:
                self._stamps = deque()
            self._stamps.append(self._read_at)
        super().process_event(event)

    @overload
    async def recv(self, decode: Literal[True]) -> str: ...

    @overload
    async def recv(self, decode: Literal[False]) -> bytes: ...

    @overload
    async def recv(self, decode: bool | None = None) -> Data: ...

    async def recv(self, decode: bool | None = None) -> Data:
        message = await super().recv(decode)
        # (``async for`` and every handler read through here; nothing reads messages any other
        # way, so stamps and messages stay paired)
        stamps = self._stamps
        self.arrived = stamps.popleft() if stamps else self.loop.time()
        return message


def encode_frame(obj: Any) -> str:
    """A frame as the service writes it: compact JSON, anything else as its ``str``."""
    return json.dumps(obj, separators=(",", ":"), default=str)


async def send_text(ws: ServerConnection, text: str) -> bool:
    """Send one text frame; ``False`` when the connection is already closed."""
    try:
        await ws.send(text)
    except ConnectionClosed:
        return False
    return True
