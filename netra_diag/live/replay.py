"""Serve a cassette back over a real WebSocket with its original timing (or scaled by ``speed``).

Notebooks and tests can then work offline against what really happened::

    async with serve_cassette("run.jsonl", speed=1.0) as rs:
        async with Session.connect(rs.url, token=tok) as session:
            record = await session.run("hello")

What the replay server does on each connection (docs/cassette-format.md):

1. selects the subprotocol the recorded server selected. The cassette only holds a fingerprint of
   a token-bearing entry, so the entry the client offers with the same prefix (``jwt.`` …) is
   echoed, as the service does (PROTOCOL.md §2);
2. plays the recorded incoming frames in *segments*: segment 0 (frames the server sent before the
   client's first message) timed from the connection (the ``upgrade_done`` mark), then, for each
   message the client sent in the recording, waits for the client to send one and plays the frames
   that followed it, timed from that moment (the recorded ``out`` frame is the anchor). Client
   pings, pongs and heartbeat answers do not start a segment: they are sent on the client's own
   schedule, not in answer to the agent;
3. closes with the recorded close code, at its recorded offset (no close frame at all for 1006).

Precision: each send has an absolute deadline on ``loop.time()`` (never accumulated sleeps, so
errors do not add up); the coroutine sleeps until ~1 ms before it and busy-waits the rest, because
the event loop's timers wake up to a millisecond late. ``ReplayOutcome.lateness_ms`` reports how
late each frame still was (on a loaded machine the OS scheduler adds milliseconds no process can
avoid).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import json
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from netra_diag.errors import UsageError
from netra_diag.recording import load_cassette
from netra_diag.recording_format import FrameRecord, MarkRecord

__all__ = [
    "ReplayOutcome",
    "ReplayPlan",
    "ReplayServer",
    "ReplayStep",
    "load_plan",
    "plan_replay",
    "serve_cassette",
]

# Client frames sent on the client's own clock, not as a request the agent answers.
_UNPROMPTED_CLIENT_TYPES = frozenset({"ping", "pong", "heartbeat", "heartbeat_ack"})
# Codes that never travel in a close frame (RFC 6455 §7.4.1): replaying them means dropping the
# TCP connection (1006) or sending an empty close frame (1005).
_NO_FRAME_CODES = frozenset({1006, 1015})
# Busy-wait the last 1.2 ms before a deadline: the loop's timers wake ~0.7 ms late at the median
# (epoll's millisecond resolution); a longer spin buys nothing and, on a loaded machine, makes the
# scheduler preempt the spinning process.
_SPIN_S = 0.0012
_LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One thing to do at ``offset_s`` after the segment's anchor: send a frame, or close."""

    offset_s: float
    action: Literal["send", "close"]
    text: str | None = None
    data: bytes | None = None
    code: int | None = None
    reason: str = ""
    type: str = ""


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """A cassette turned into what the server must do.

    ``segments[0]`` is timed from the connection, ``segments[k]`` from the client's k-th message;
    ``subprotocol`` is the (redacted) subprotocol the recorded server selected, if any."""

    segments: tuple[tuple[ReplayStep, ...], ...]
    subprotocol: str | None = None
    warnings: tuple[str, ...] = ()
    close_by_client: bool = False

    @property
    def n_frames(self) -> int:
        return sum(1 for seg in self.segments for s in seg if s.action == "send")

    @property
    def n_client_messages(self) -> int:
        return len(self.segments) - 1

    @property
    def duration_s(self) -> float:
        """Playing time if the client answers instantly (the sum of each segment's last offset)."""
        return sum(seg[-1].offset_s for seg in self.segments if seg)


@dataclass(slots=True)
class ReplayOutcome:
    """What happened during one replayed connection. Lateness is how far after its deadline each
    frame was handed to the socket: the replay's own scheduling error."""

    frames_sent: int = 0
    client_messages: int = 0
    close_code: int | None = None
    client_closed_first: bool = False
    lateness_ms: list[float] = field(default_factory=list)
    finished: bool = False

    @property
    def max_lateness_ms(self) -> float:
        return max(self.lateness_ms, default=0.0)


def _is_primary_out(frame: FrameRecord) -> bool:
    if frame.type in _UNPROMPTED_CLIENT_TYPES:
        return False
    if frame.text is None:
        return True
    return _client_type(frame.text) not in _UNPROMPTED_CLIENT_TYPES


def _client_type(text: str | bytes) -> str:
    if isinstance(text, bytes):
        return ""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return ""
    return str(obj.get("type") or "") if isinstance(obj, dict) else ""


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


def _close_by_client(data: Mapping[str, Any]) -> bool:
    """Whether the recorded close was started by the client (then the replay waits for the
    client's close instead of closing on its own)."""
    for key in ("initiated_by", "initiator", "by", "side"):
        value = data.get(key)
        if isinstance(value, str):
            return value.lower() in ("client", "local", "us", "self")
    return data.get("by_client") is True or data.get("local") is True


def plan_replay(records: Sequence[FrameRecord | MarkRecord]) -> ReplayPlan:
    """Turn cassette records into a :class:`ReplayPlan`. Pure; never raises on odd cassettes
    (frames before the upgrade, no marks at all): anything unplayable becomes a warning."""
    ordered = sorted(records, key=lambda r: (r.t_ns, r.lineno))
    warnings: list[str] = []
    subprotocol: str | None = None
    anchor_ns: int | None = None
    for rec in ordered:
        if isinstance(rec, MarkRecord) and rec.name == "upgrade_done":
            anchor_ns = rec.t_ns
            value = rec.data.get("subprotocol", rec.data.get("selected_subprotocol"))
            subprotocol = str(value) if value else None
            break
    if anchor_ns is None:
        starts = [
            r.t_ns for r in ordered if isinstance(r, MarkRecord) and r.name == "connect_start"
        ]
        anchor_ns = starts[0] if starts else (ordered[0].t_ns if ordered else 0)
        warnings.append("no upgrade_done mark: frames are timed from the start of the cassette")

    segments: list[list[ReplayStep]] = [[]]
    close_by_client = False
    closed = False
    for rec in ordered:
        if closed:
            break
        if isinstance(rec, FrameRecord):
            if rec.dir == "out":
                if _is_primary_out(rec):
                    anchor_ns = rec.t_ns
                    segments.append([])
                continue
            offset = max(0.0, (rec.t_ns - anchor_ns) / 1e9)
            if rec.truncated:
                warnings.append(
                    f"line {rec.lineno}: frame was stored truncated ({rec.size} bytes); "
                    "the stored head is sent instead"
                )
            if rec.text is not None:
                segments[-1].append(ReplayStep(offset, "send", text=rec.text, type=rec.type))
            else:
                try:
                    payload = base64.b64decode(rec.b64 or "", validate=True)
                except ValueError:
                    warnings.append(f"line {rec.lineno}: binary frame with bad base64; skipped")
                    continue
                segments[-1].append(ReplayStep(offset, "send", data=payload, type=rec.type))
        elif rec.name == "close":
            code = _int_or_none(rec.data.get("code"))
            reason = rec.data.get("reason")
            close_by_client = _close_by_client(rec.data)
            if not close_by_client:
                offset = max(0.0, (rec.t_ns - anchor_ns) / 1e9)
                segments[-1].append(
                    ReplayStep(
                        offset,
                        "close",
                        code=code,
                        reason=str(reason) if isinstance(reason, str) else "",
                    )
                )
            closed = True
    if not closed:
        warnings.append("no close mark: the replay stays open until the client closes")
    return ReplayPlan(
        segments=tuple(tuple(seg) for seg in segments),
        subprotocol=subprotocol,
        warnings=tuple(warnings),
        close_by_client=close_by_client,
    )


def _select_subprotocol(recorded: str | None, offered: Sequence[str]) -> str | None:
    """Echo the offered entry matching what the recorded server selected: the same entry, or the
    one with the same token prefix (``jwt.`` …) since the recording holds only a fingerprint."""
    if not recorded or not offered:
        return None
    if recorded in offered:
        return recorded
    prefix, dot, _ = recorded.partition(".")
    if dot:
        for entry in offered:
            if entry.startswith(prefix + "."):
                return entry
    # The recorded entry was a fingerprinted bare token (no prefix): echo the offered bare token.
    if "…#" in recorded:
        for entry in offered:
            if len(entry) > 20 and "." in entry:
                return entry
    return offered[0]


async def _sleep_until(loop: asyncio.AbstractEventLoop, deadline: float) -> None:
    remaining = deadline - loop.time()
    if remaining > _SPIN_S:
        await asyncio.sleep(remaining - _SPIN_S)
    # The last stretch is a busy-wait; it blocks this loop for at most _SPIN_S.
    while loop.time() < deadline:
        pass


class ReplayServer:
    """A running replay; ``url`` is where to connect. Created by :func:`serve_cassette`."""

    def __init__(
        self, plan: ReplayPlan, *, cassette: str, host: str, speed: float, repeat: bool
    ) -> None:
        self.plan = plan
        self.cassette = cassette
        self.host = host
        self.port = 0
        self.speed = speed
        self.repeat = repeat
        self.outcomes: list[ReplayOutcome] = []
        self.active = 0
        self._server: Server | None = None
        self._finished = asyncio.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/ws"

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.plan.warnings

    async def wait_finished(self) -> ReplayOutcome:
        """Wait until the first replayed connection has ended and return its outcome."""
        await self._finished.wait()
        return self.outcomes[0]

    def select_subprotocol(
        self, _connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        chosen = _select_subprotocol(self.plan.subprotocol, list(offered))
        return None if chosen is None else Subprotocol(chosen)

    async def handle(self, ws: ServerConnection) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        outcome = ReplayOutcome()
        self.outcomes.append(outcome)
        self.active += 1
        messages: asyncio.Queue[float | None] = asyncio.Queue()

        async def read_client() -> None:
            try:
                async for message in ws:
                    if _client_type(message) not in _UNPROMPTED_CLIENT_TYPES:
                        outcome.client_messages += 1
                        messages.put_nowait(loop.time())
            except ConnectionClosed:
                pass
            finally:
                messages.put_nowait(None)

        reader = asyncio.create_task(read_client())
        try:
            await self._play(ws, loop, start, messages, outcome)
        except ConnectionClosed:
            outcome.client_closed_first = True
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            self.active -= 1
            outcome.finished = True
            self._finished.set()
            if not self.repeat and self._server is not None:
                self._server.close(close_connections=False)

    async def _play(
        self,
        ws: ServerConnection,
        loop: asyncio.AbstractEventLoop,
        anchor: float,
        messages: asyncio.Queue[float | None],
        outcome: ReplayOutcome,
    ) -> None:
        scale = 1.0 / self.speed
        for index, segment in enumerate(self.plan.segments):
            if index > 0:
                received = await messages.get()
                if received is None:
                    outcome.client_closed_first = True
                    return
                anchor = received
            for step in segment:
                deadline = anchor + step.offset_s * scale
                await _sleep_until(loop, deadline)
                if step.action == "close":
                    outcome.close_code = step.code
                    await self._close(ws, step)
                    return
                await ws.send(step.text if step.text is not None else step.data or b"")
                outcome.lateness_ms.append((loop.time() - deadline) * 1e3)
                outcome.frames_sent += 1
        # Nothing left to play: keep the connection as the recording left it until the client
        # closes it.
        await ws.wait_closed()
        outcome.client_closed_first = True
        outcome.close_code = ws.close_code

    @staticmethod
    async def _close(ws: ServerConnection, step: ReplayStep) -> None:
        if step.code is None or step.code in _NO_FRAME_CODES:
            ws.transport.abort()  # 1006: the peer sees the TCP connection drop, no close frame
            return
        if step.code == 1005:
            ws.protocol.send_close()  # an empty close frame: "no status received"
            await ws.wait_closed()
            return
        try:
            await ws.close(step.code, step.reason)
        except ValueError:
            # A code RFC 6455 §7.4 forbids on the wire: drop the connection rather than invent one.
            ws.transport.abort()


def _check_host(host: str) -> None:
    if host in _LOOPBACK_NAMES:
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise UsageError(f"replay host {host!r} is not a loopback address (use 127.0.0.1 or ::1)")


def load_plan(path: str | Path) -> ReplayPlan:
    """Read a cassette file and plan its replay. Unreadable lines (a truncated last line) become
    warnings; a missing or headerless file raises ``RecordingError``."""
    cassette = load_cassette(path)
    plan = plan_replay(cassette.records)
    if cassette.warnings:
        extra = tuple(f"{Path(path).name}: {w}" for w in cassette.warnings)
        plan = ReplayPlan(
            plan.segments, plan.subprotocol, extra + plan.warnings, plan.close_by_client
        )
    return plan


@contextlib.asynccontextmanager
async def serve_cassette(
    path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    repeat: bool = True,
) -> AsyncIterator[ReplayServer]:
    """Serve ``path`` on ``ws://host:port/ws`` (any path is accepted) until the block exits.

    ``speed`` scales time (2.0 plays twice as fast); ``repeat=False`` stops accepting connections
    after the first replay ends (await ``rs.wait_finished()``)."""
    if not (isinstance(speed, int | float) and speed > 0 and not math.isnan(speed)):
        raise UsageError(f"replay speed must be a positive number, got {speed!r}")
    _check_host(host)
    plan = load_plan(path)
    rs = ReplayServer(plan, cassette=str(path), host=host, speed=float(speed), repeat=repeat)
    try:
        server = await serve(
            rs.handle,
            host,
            port,
            select_subprotocol=rs.select_subprotocol,
            ping_interval=None,  # the recording holds the server's pings, if any; add none
            max_size=None,
            compression=None,
        )
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    rs._server = server
    rs.port = next(iter(server.sockets)).getsockname()[1]
    try:
        yield rs
    finally:
        server.close()
        await server.wait_closed()
