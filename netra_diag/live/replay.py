"""Serve a cassette back over a real WebSocket with its original timing (or scaled by ``speed``).

Notebooks and tests can then work offline against what really happened::

    async with serve_cassette("run.jsonl", speed=1.0) as rs:
        async with Session.connect(rs.url, token=tok) as session:
            record = await session.run("hello")

A cassette holds one connection per opening handshake the recorded session made (a session that
reconnected holds several; ``replay_plan`` says how they are told apart). Client connections are
given the recorded connections in turn: the first upgrade request gets the first recorded
connection, the next one (a session reconnecting after the replayed close, say) the second, and
so on (docs/cassette-format.md, "Replay"). With each one the replay server

1. answers the upgrade as the recorded server did: accepts it, refuses it with the recorded HTTP
   status and body (``handshake_rejected``), or drops the TCP connection without an answer;
2. selects the subprotocol the recorded server selected. The cassette only holds a fingerprint of
   a token-bearing entry, so the entry the client offers with the same prefix (``jwt.`` …) is
   echoed, as the service does (PROTOCOL.md §2);
3. plays the recorded incoming frames in segments: segment 0 timed from the connection, then for
   each message the client sent in the recording, waits for the client to send one and plays the
   frames that followed it, timed from that moment;
4. closes with the recorded close code and reason at its recorded offset (no close frame at all
   for 1006: the TCP connection is dropped), or waits for the client's close if the client closed
   in the recording.

Steps 3 and 4, and how precisely frames keep their deadlines, are ``replay_playback``'s.

A session on the ticket transport asks for a ticket (``POST /api/websocket/ticket``) before each
upgrade: those requests are answered in turn as the recorded ones were, a fresh single-use ticket
for each recorded issue (the cassette never holds the ticket), and an upgrade carrying
``?ticket=`` must carry one the replay issued and nobody used (``replay_http``).

Past the last recorded connection every further upgrade is refused with HTTP 503 (the body says
how many connections the cassette held), so a client that reconnects more often than the recorded
one did learns it at once, as with the CLI; ``repeat=True`` (the CLI's ``--loop``) starts the
cassette over from its first connection instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from netra_diag.errors import RecordingError, UsageError
from netra_diag.live.replay_client import client_notes
from netra_diag.live.replay_http import TicketDesk, http_response
from netra_diag.live.replay_plan import ConnectionPlan, ReplayPlan, ReplayStep, plan_replay
from netra_diag.live.replay_playback import ReplayOutcome, play_connection
from netra_diag.live.ticket import TICKET_PATH
from netra_diag.live.wslog import ScrubbingLogger
from netra_diag.recording import load_cassette

__all__ = [
    "ConnectionPlan",
    "ReplayOutcome",
    "ReplayPlan",
    "ReplayServer",
    "ReplayStep",
    "load_plan",
    "plan_replay",
    "serve_cassette",
]

_LOOPBACK_NAMES = frozenset({"localhost"})


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


def _recorded_refusal(plan: ConnectionPlan) -> Response:
    """The recorded refusal as an HTTP response: its status, body and (non-framing) headers."""
    assert plan.status is not None
    return http_response(plan.status, plan.body, plan.headers)


def _query_ticket(path: str) -> str | None:
    values = parse_qs(urlsplit(path).query).get("ticket")
    return values[0] if values else None


class ReplayServer:
    """A running replay; ``url`` is where to connect. Created by :func:`serve_cassette`.

    ``outcomes`` has one entry per client connection given a recorded connection, in arrival
    order; ``refused`` counts the upgrades refused with HTTP 503 past the recorded ones;
    ``tickets`` answers the ticket route (``replay_http.TicketDesk``)."""

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
        self.refused = 0
        self.active = 0
        self.tickets = TicketDesk(plan.tickets, cassette=cassette, repeat=repeat)
        # Accepted upgrades waiting for their handler: which recorded connection each plays.
        self._pending: dict[ServerConnection, tuple[ConnectionPlan, ReplayOutcome]] = {}
        self._changed = asyncio.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ws://{host}:{self.port}/ws"

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.plan.warnings

    @property
    def played(self) -> bool:
        """Every recorded connection has been served once and has ended, and every recorded
        ticket request has been answered once."""
        n = self.plan.n_connections
        served = len(self.outcomes) >= n and all(o.finished for o in self.outcomes[:n])
        return served and self.tickets.played

    async def wait_finished(self) -> ReplayOutcome:
        """Wait until the first replayed connection has ended and return its outcome."""
        await self._wait_until(lambda: bool(self.outcomes) and self.outcomes[0].finished)
        return self.outcomes[0]

    async def wait_played(self) -> tuple[ReplayOutcome, ...]:
        """Wait until every recorded connection has been served once and has ended; returns
        their outcomes, in recorded order."""
        await self._wait_until(lambda: self.played)
        return tuple(self.outcomes[: self.plan.n_connections])

    async def wait_idle(self) -> None:
        """Wait until no connection is being played (every one so far has ended)."""
        await self._wait_until(lambda: all(o.finished for o in self.outcomes))

    async def _wait_until(self, done: Callable[[], bool]) -> None:
        while not done():
            self._changed.clear()
            await self._changed.wait()

    def _finish(self, outcome: ReplayOutcome) -> None:
        outcome.finished = True
        self._changed.set()

    def beyond_text(self, number: int) -> str:
        """The body of the 503 answering client connection ``number``, one past the recording."""
        n = self.plan.n_connections
        held = f"{n} connection" + ("" if n == 1 else "s")
        why = (
            "every recorded connection has been replayed; repeat=True / --loop starts the "
            "cassette over"
            if n
            else "the recorded session never reached an upgrade"
        )
        return (
            f"netra-diag replay: the cassette {Path(self.cassette).name} held {held}; this is "
            f"connection {number}, which has no recording ({why})\n"
        )

    # -- websockets hooks ----------------------------------------------------------------------

    async def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        """Give this upgrade request the next recorded connection, and answer it as that one was
        answered: accepted (``None``: go on with the upgrade), refused, or dropped. A request on
        the ticket path gets the next recorded ticket request's answer instead, after as long
        as that one took (scaled by ``speed``)."""
        if urlsplit(request.path).path == TICKET_PATH:
            wait_s = self.tickets.wait_s(request.method)
            if wait_s > 0:
                await asyncio.sleep(wait_s / self.speed)
            response = self.tickets.answer(ws, request, ws_url=self.url, now=time.time())
            self._changed.set()
            return response
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        if not upgrade or "Sec-WebSocket-Key" not in request.headers:
            return None  # not an upgrade: websockets refuses it (426/400), no recording used up
        ticket = _query_ticket(request.path)
        refused_ticket = "" if ticket is None else self.tickets.redeem(ticket, time.time())
        if refused_ticket:
            self.tickets.refused_upgrades += 1
            return http_response(HTTPStatus.FORBIDDEN, f"netra-diag replay: {refused_ticket}\n")
        n = self.plan.n_connections
        admitted = len(self.outcomes)
        if admitted >= n and (not self.repeat or n == 0):
            self.refused += 1
            number = admitted + self.refused  # counting every upgrade request so far
            return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE, self.beyond_text(number))
        index = admitted % n
        plan = self.plan.connections[index]
        outcome = ReplayOutcome(
            connection=index + 1,
            answer=plan.answer,
            frames_recorded=plan.n_frames,
            messages_recorded=plan.n_client_messages,
            notes=client_notes(request, endpoint=self.plan.endpoint, user=self.plan.user),
        )
        self.outcomes.append(outcome)
        if plan.answer == "upgrade":
            self._pending[ws] = (plan, outcome)
            # If no handler takes it (the upgrade fails after all, the client leaves mid-
            # handshake), this recorded connection is over when the TCP connection is.
            ws.connection_lost_waiter.add_done_callback(lambda _: self._abandon(ws))
            return None
        if plan.answer == "reject":
            outcome.http_status = plan.status
            self._finish(outcome)
            return _recorded_refusal(plan)
        # "drop": the recorded client got no HTTP answer at all. The response returned below is
        # never written: the transport is gone.
        ws.transport.abort()
        self._finish(outcome)
        return ws.respond(HTTPStatus.SERVICE_UNAVAILABLE, "")

    def select_subprotocol(
        self, ws: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        entry = self._pending.get(ws)
        recorded = entry[0].subprotocol if entry is not None else None
        chosen = _select_subprotocol(recorded, list(offered))
        return None if chosen is None else Subprotocol(chosen)

    def _abandon(self, ws: ServerConnection) -> None:
        entry = self._pending.pop(ws, None)
        if entry is not None:
            self._finish(entry[1])

    async def handle(self, ws: ServerConnection) -> None:
        entry = self._pending.pop(ws, None)
        if entry is None:  # every accepted upgrade went through process_request; never guess
            ws.transport.abort()
            return
        plan, outcome = entry
        self.active += 1
        try:
            await play_connection(ws, plan, outcome, speed=self.speed)
        finally:
            self.active -= 1
            self._finish(outcome)


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
    warnings; a missing or headerless file, or one with nothing after its header, raises
    ``RecordingError``."""
    cassette = load_cassette(path)
    if not cassette.records:
        # Served, it would accept a client and then send nothing, forever.
        damaged = f" ({len(cassette.warnings)} unreadable)" if cassette.warnings else ""
        raise RecordingError(
            str(path),
            f"nothing to replay: only a header (line 1), no frame or mark after it{damaged}; "
            "the recording stopped before the session connected",
        )
    plan = replace(
        plan_replay(cassette.records),
        endpoint=cassette.header.endpoint,
        user=cassette.header.user,
        started_wall=cassette.header.started_wall,
    )
    if cassette.warnings:
        plan = plan.with_warnings([f"{Path(path).name}: {w}" for w in cassette.warnings])
    return plan


@contextlib.asynccontextmanager
async def serve_cassette(
    path: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    speed: float = 1.0,
    repeat: bool = False,
) -> AsyncIterator[ReplayServer]:
    """Serve ``path`` on ``ws://host:port/ws`` (any path is accepted) until the block exits.

    Client connections get the recorded connections in turn. ``speed`` scales time (2.0 plays
    twice as fast). Past the last recorded connection every further upgrade is refused with HTTP
    503, whose body names the number of recorded connections (the CLI's default too); with
    ``repeat=True`` (the CLI's ``--loop``) the cassette starts over from its first connection.
    ``rs.wait_finished()`` waits for the first connection to end, ``rs.wait_played()`` for all
    of them."""
    # inf would play every frame at once (and divide recorded durations by it): not a replay.
    if not (isinstance(speed, int | float) and 0 < speed < math.inf):
        raise UsageError(f"--speed must be a finite number > 0, got {speed!r}")
    _check_host(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0 (any free port) to 65535, got {port!r}")
    plan = load_plan(path)
    rs = ReplayServer(plan, cassette=str(path), host=host, speed=float(speed), repeat=repeat)
    try:
        server = await serve(
            rs.handle,
            host,
            port,
            process_request=rs.process_request,
            select_subprotocol=rs.select_subprotocol,
            ping_interval=None,  # the recording holds the server's pings, if any; add none
            max_size=None,
            compression=None,
            # At DEBUG websockets logs every request line and header: tokens and tickets.
            logger=ScrubbingLogger((), name="netra_diag.replay.websockets"),
        )
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    rs.port = next(iter(server.sockets)).getsockname()[1]
    try:
        yield rs
    finally:
        server.close()
        await server.wait_closed()
