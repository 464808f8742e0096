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
import uuid
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from netra_diag.emulator.auth import AuthDecision, Credentials
from netra_diag.emulator.config import Fault, FaultPlan

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
        return f"{prefix}_{uuid.UUID(int=self.id_rng.getrandbits(128)).hex[:16]}"

    def take_handshake_run(self) -> str | None:
        run_id, self.handshake_run = self.handshake_run, None
        return run_id


class EmulatorConnection(ServerConnection):
    """A websockets server connection that carries the service's per-connection state."""

    netra: ConnState | None = None


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
