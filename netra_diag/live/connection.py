"""The connection half of a ``Session``: open (one transport or ``auto``), read, record, answer
heartbeats, sample RTT, explain closes, reconnect. ``session.py`` adds sending and runs on top.

Every frame in either direction goes through ``_ingest``/``_record_out`` so the recording, the
``last_frames`` kept for close explanations and the history (from which the clock offset is
estimated) stay consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from websockets.exceptions import ConnectionClosed

from netra_diag._types import Clock, WallClock
from netra_diag.closecodes import CloseInfo
from netra_diag.errors import SessionClosed, UsageError
from netra_diag.events.model import Event, TimedEvent, new_timed_event, parse_frame
from netra_diag.live.auth_verdict import AuthVerdict, judge_auth
from netra_diag.live.closing import CLOSED, close_info_from, on_closed, shutdown
from netra_diag.live.event_queue import EventQueue
from netra_diag.live.handshake import (
    HandshakeInfo,
    StampedConnection,
    TransportAttempt,
)
from netra_diag.live.opening import established_data
from netra_diag.live.pinger import (
    AppPingTracker,
    answer_liveness,
    note_pong,
    run_pinger,
    sample_rtt,
)
from netra_diag.live.reconnect import ReconnectPolicy, reopen
from netra_diag.live.records import (
    LIVENESS_TYPES,
    ClockOffset,
    Mark,
    estimate_clock_offset,
    new_mark,
)
from netra_diag.recording import Recorder
from netra_diag.recording_format import frame_line_prefix, redact_url, with_secret
from netra_diag.redaction import fingerprint
from netra_diag.tokens import token_sub_exp

__all__ = ["CLOSED", "Connection", "FrameObserver", "TokenSource"]

TokenSource = str | Callable[[], str] | None
# Called for every frame, in either direction ("in" / "out"), as it is recorded.
FrameObserver = Callable[[str, TimedEvent], None]
_HISTORY = 10_000
# Frames the reader task must answer (it can await a send; the direct delivery path cannot).
_ANSWERED = frozenset({"heartbeat", "handshake_response"})
# Frames the receive path does more with than record and queue.
_SPECIAL = LIVENESS_TYPES | {"connection_established"}


class Connection:
    """State shared by every session operation. Not used directly: see ``Session``."""

    def __init__(
        self,
        url: str,
        *,
        token: TokenSource,
        transport: str,
        recorder: Recorder | None,
        owns_recorder: bool,
        open_timeout: float,
        establish_timeout: float,
        close_timeout: float,
        ping_every: float | None,
        reconnect: ReconnectPolicy | None,
        clock: Clock,
        wall: WallClock,
        max_size: int | None,
        on_frame: FrameObserver | None = None,
    ) -> None:
        if transport != "auto" and not transport:
            raise UsageError("transport must be 'auto' or a transport name")
        self._raw_url = url
        self._token_source = token
        self.requested_transport = transport
        self._recorder = recorder
        self._owns_recorder = owns_recorder
        self._open_timeout = open_timeout
        self._establish_timeout = establish_timeout
        self._close_timeout = close_timeout
        self._ping_every = ping_every
        self.reconnect_policy = reconnect
        self._clock, self._wall = clock, wall
        self._max_size = max_size
        self._on_frame = on_frame
        self._n_out = 0
        self._origin = clock()
        self._secrets: tuple[str, ...] = ()
        self._facts: tuple[str, tuple[str | None, float | None]] | None = None
        self._fp: tuple[str, str] | None = None
        self._ws: StampedConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._open_event = asyncio.Event()
        self._final = False  # closed for good: no reconnect will follow
        self._intentional: set[int] = set()  # ids of sockets we are closing on purpose
        self.queue = EventQueue()
        self.marks: list[Mark] = []
        self.history: deque[TimedEvent] = deque(maxlen=_HISTORY)
        self.rtt_ms: list[float] = []
        # Raw (arrow, head) pairs; scrubbed only when a close needs them, not per frame.
        self._last_frames: deque[tuple[str, str | bytes]] = deque(maxlen=5)
        self._app_pings = AppPingTracker()
        self._last_pong_t: float | None = None
        self._last_frame_t: float | None = None
        self._n_in = 0
        self._stamp_ns: int | None = None  # the last read's arrival stamp, and its wall time
        self._stamp_wall = 0.0
        self.token: str | None = None
        self.token_sub: str | None = None
        self.token_exp: float | None = None
        self.handshake: HandshakeInfo | None = None
        self.auth: AuthVerdict | None = None
        self.transport: str | None = None
        self.attempts: list[TransportAttempt] = []
        self.close_info: CloseInfo | None = None
        self.reconnects = 0

    # -- clocks, marks, recording -------------------------------------------------------------

    def now(self) -> tuple[int, float]:
        """(ns since the session started on the monotonic clock, wall epoch seconds)."""
        return self._clock() - self._origin, self._wall()

    @property
    def url(self) -> str:
        """The endpoint without credentials."""
        return redact_url(self._raw_url, self._secrets)

    def mark(
        self,
        name: str,
        data: Mapping[str, Any] | None = None,
        at: tuple[int, float] | None = None,
    ) -> Mark:
        """Record a mark now (or ``at`` an earlier ``now()`` reading)."""
        if at is None:
            t_ns = self._clock() - self._origin
            wall = self._wall()
        else:
            t_ns, wall = at
        m = new_mark(name, t_ns / 1e9, wall, dict(data) if data else {})
        self.marks.append(m)
        rec = self._recorder
        if rec is not None:
            rec.mark(name, t_ns=t_ns, wall=wall, data=data)
        return m

    def _add_secret(self, token: str | None) -> None:
        if token and token not in self._secrets:
            self._secrets = with_secret(self._secrets, token)
            if self._recorder is not None:
                self._recorder.add_secret(token)

    def next_token(self) -> str | None:
        """A token for the next attempt: a factory is called every time (fresh token)."""
        source = self._token_source
        token = source() if callable(source) else source
        if token is not None and not isinstance(token, str):
            raise UsageError(f"the token factory returned {type(token).__name__}, not str")
        self._add_secret(token)
        return token or None

    def fingerprint_of(self, token: str) -> str:
        """``redaction.fingerprint(token)``, computed once for the session's current token
        (the cassette header and ``Session.token_fingerprint`` both ask)."""
        cached = self._fp
        if cached is not None and cached[0] == token:
            return cached[1]
        fp = fingerprint(token)
        self._fp = (token, fp)
        return fp

    def _token_facts(self, token: str | None) -> tuple[str | None, float | None]:
        """The token's ``sub`` and ``exp`` (unverified); a token asked about again is not
        decoded again (the first one serves the cassette header, then the first attempt)."""
        if not token:
            return None, None
        cached = self._facts
        if cached is not None and cached[0] == token:
            return cached[1]
        facts = token_sub_exp(token)
        self._facts = (token, facts)
        return facts

    @property
    def clock_offset(self) -> ClockOffset | None:
        """Server clock minus client wall clock (median over events with a server timestamp)."""
        # Computed on demand from the history rather than per frame (the recorder's hot path).
        return estimate_clock_offset(
            ts - te.wall
            for te in self.history
            if te.wall is not None and (ts := te.event.timestamp) is not None
        )

    @property
    def has_token_source(self) -> bool:
        return self._token_source is not None

    def closed_for_good(self) -> bool:
        """Closed with no reconnect coming (a method, so callers re-read it after awaits)."""
        return self._final

    @property
    def is_open(self) -> bool:
        return self._ws is not None and self._open_event.is_set()

    # -- frames --------------------------------------------------------------------------------

    def _ingest(
        self,
        raw: str | bytes,
        arrival_ns: int | None = None,
        *,
        event: Event | None = None,
        defer: bool = False,
    ) -> TimedEvent:
        """Record and timestamp one received frame. ``arrival_ns`` (the session clock when the
        protocol completed the message, see ``StampedConnection``) is the frame's time when known;
        the wall time is shifted back by the same amount. ``event``: ``raw`` already parsed.
        ``defer``: leave the line to the recorder's next ``flush`` (see ``_after_read``)."""
        t_ns, wall = self._arrival(arrival_ns)
        if event is None:
            event = parse_frame(raw)
        if self._recorder is not None:
            self._recorder.frame("in", raw, t_ns=t_ns, wall=wall, event=event, defer=defer)
        t = t_ns / 1e9
        te = new_timed_event(event, t, wall, self._n_in)
        self._n_in += 1
        self._last_frame_t = t
        self.history.append(te)
        self._last_frames.append(("←", raw))
        if self._on_frame is not None:
            self._notify("in", te)
        return te

    def _deliver(self, raw: str | bytes, arrival_ns: int) -> bool:
        """``StampedConnection.sink``: one received message, straight from the protocol (no
        reader task in between). Returns ``False`` for a ``heartbeat`` or ``handshake_response``,
        whose answer is sent by the reader task (``_read_loop``) after websockets hands the message
        back to it.

        The recording line is deferred to ``_after_read``, one write per network read, which runs
        before control returns to the event loop, so no consumer (and no other task) can see a
        frame that is not on disk yet. With an ``on_frame`` observer every line is written at
        once, since the observer sees the frame immediately."""
        event = parse_frame(raw)
        etype = event.type
        if etype in _ANSWERED:
            return False
        te = self._ingest(raw, arrival_ns, event=event, defer=self._on_frame is None)
        if etype in LIVENESS_TYPES:
            if etype == "pong":
                note_pong(self, te)
            return True
        if etype == "connection_established" and self.handshake is not None:
            self._late_established(event)
        self.queue.put_nowait(te)
        return True

    def _deliver_many(self, payloads: list[bytes], arrival_ns: int) -> int:
        """``StampedConnection.sink_many``: the text messages of one network read, in order (the
        receive fast path, ``live.frame_splitter``). What ``_deliver`` does per message, with the
        clocks read and the line prefix built once for the read (every message of it has the
        same arrival time). Returns how many were taken: it stops before a frame to answer (the
        reader task answers it, see ``_deliver``) or a message that is not UTF-8."""
        if self._on_frame is not None:  # the observer sees each frame as its line is written
            for i, payload in enumerate(payloads):
                try:
                    if not self._deliver(payload.decode(), arrival_ns):
                        return i
                except UnicodeDecodeError:
                    return i
            return len(payloads)
        t_ns, wall = self._arrival(arrival_ns)
        t = t_ns / 1e9
        rec = self._recorder
        received = rec.received if rec is not None else None
        prefix = frame_line_prefix("in", t_ns, wall) if rec is not None else ""
        # History, last frames and the queue take the read's frames together at the end: nothing
        # called from the loop reads them, and nothing else runs before this returns.
        timed: list[TimedEvent] = []
        add = timed.append
        queued: list[TimedEvent] = []
        put = queued.append
        n_in = self._n_in
        taken = len(payloads)
        try:
            for i, payload in enumerate(payloads):
                try:
                    raw = payload.decode()
                except UnicodeDecodeError:
                    taken = i
                    break
                event = parse_frame(raw)
                etype = event.type
                if etype in _ANSWERED:
                    taken = i
                    break
                if received is not None:
                    received(prefix, raw, event)
                te = new_timed_event(event, t, wall, n_in)
                n_in += 1
                add(te)
                if etype in _SPECIAL:
                    if etype == "pong":
                        self._n_in = n_in
                        note_pong(self, te)
                    elif etype == "connection_established" and self.handshake is not None:
                        self._late_established(event)
                    if etype in LIVENESS_TYPES:
                        continue
                put(te)
        finally:
            self._n_in = n_in
            if timed:
                self._last_frame_t = t
                self.history.extend(timed)
                self._last_frames.extend(("←", te.event.raw) for te in timed[-5:])
                if queued:
                    self.queue.put_many(queued)
        return taken

    def _arrival(self, arrival_ns: int | None) -> tuple[int, float]:
        """(session ns, wall time) of a frame that arrived at ``arrival_ns`` on the session clock
        (now when unknown), the wall time shifted back by the same amount."""
        if arrival_ns is not None and arrival_ns == self._stamp_ns:
            # Another frame of the same network read: same arrival, same clocks.
            return arrival_ns - self._origin, self._stamp_wall
        now_ns = self._clock()
        wall = self._wall()
        if arrival_ns is not None and arrival_ns <= now_ns:
            wall -= (now_ns - arrival_ns) / 1e9
            now_ns = arrival_ns
            self._stamp_ns, self._stamp_wall = arrival_ns, wall
        return now_ns - self._origin, wall

    def _after_read(self) -> None:
        """``StampedConnection.after_read``: write the lines deferred during one network read."""
        rec = self._recorder
        if rec is None or not rec.pending:
            return
        try:
            rec.flush()
        except Exception as exc:  # must not escape into the protocol's data_received
            with contextlib.suppress(Exception):
                self.mark("error", {"message": f"recording failed: {type(exc).__name__}: {exc}"})

    def _notify(self, direction: str, te: TimedEvent) -> None:
        assert self._on_frame is not None
        try:
            self._on_frame(direction, te)
        except Exception as exc:  # an observer (a printer) must not break the session
            self._on_frame = None
            self.mark("error", {"message": f"frame observer failed and was removed: {exc!r}"})

    def _record_out(self, text: str | bytes, t_ns: int, wall: float) -> None:
        if self._recorder is not None:
            self._recorder.frame("out", text, t_ns=t_ns, wall=wall)
        self._last_frames.append(("→", text))
        if self._on_frame is not None:
            self._notify("out", TimedEvent(parse_frame(text), t_ns / 1e9, wall, self._n_out))
            self._n_out += 1

    async def send_text(
        self,
        data: str | bytes,
        ws: StampedConnection | None = None,
        *,
        mark: tuple[str, Mapping[str, Any]] | None = None,
    ) -> tuple[int, float]:
        """Record one frame (and ``mark``, a (name, data) pair, at the same instant), then send it
        on the current socket; returns the ``now()`` reading taken before sending. Recording
        first keeps the cassette in causal order (a reply can arrive while ``send`` awaits)."""
        sock = ws or self._ws
        if sock is None:
            raise SessionClosed(*self._closed_args())
        at = self.now()
        self._record_out(data, *at)
        if mark is not None:
            self.mark(mark[0], mark[1], at=at)
        try:
            await sock.send(data)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
            self.mark("error", {"message": "the frame above was not sent: connection closed"})
            raise SessionClosed(code, reason, "sending failed: the connection is closed") from exc
        return at

    def _closed_args(self) -> tuple[int | None, str, str]:
        info = self.close_info
        if info is None:
            return None, "", "the session is not connected"
        return info.code, info.reason, info.explanation()

    async def ping(self, timeout: float = 5.0) -> tuple[float | None, float | None]:  # noqa: ASYNC109
        """One RTT sample of each kind (see ``live.pinger.sample_rtt``)."""
        return await sample_rtt(self, timeout)

    def install(
        self,
        ws: StampedConnection,
        info: Mapping[str, Any],
        early: list[TimedEvent],
        token: str | None,
        sub: str | None,
        exp: float | None,
        verdict: AuthVerdict,
        transport: str,
    ) -> None:
        """Make ``ws`` the session's socket. ``info``: the ``HandshakeInfo`` fields of its
        attempt, without ``attempts`` (known only now, after every transport tried)."""
        self._ws = ws
        self.token, self.token_sub, self.token_exp = token, sub, exp
        self.transport = transport
        self.handshake = HandshakeInfo(**info, attempts=tuple(self.attempts))
        self.auth = verdict
        self.close_info = None
        for te in early:
            if te.event.type not in LIVENESS_TYPES:
                self.queue.put_nowait(te)
        self._open_event.set()
        self._reader = asyncio.create_task(self._read_loop(ws), name="netra-session-reader")
        if self._ping_every:
            every = self._ping_every
            self._pinger = asyncio.create_task(run_pinger(every, self.ping), name="netra-pinger")

    async def _quiet_close(self, ws: StampedConnection) -> None:
        self._intentional.add(id(ws))
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._close_timeout + 1):
                await ws.close()

    # -- reading and closing ---------------------------------------------------------------------

    async def _read_loop(self, ws: StampedConnection) -> None:
        """Messages come straight from the protocol (``StampedConnection.sink`` is
        ``_deliver``) whenever websockets' own buffer is empty; ``recv()`` here reads what was
        left in that buffer or handed back to it (a heartbeat to answer, a fragmented message, a
        message that failed the direct path) in order, and learns of the close."""
        direct = ws.buffered() is not None
        if direct:
            ws.after_read = self._after_read
        try:
            while True:
                if direct and ws.sink is None and ws.buffered() == 0:
                    ws.sink = self._deliver
                    ws.sink_many = self._deliver_many
                raw = await ws.recv()
                arrivals = ws.arrivals
                te = self._ingest(raw, arrivals.popleft() if arrivals else None)
                etype = te.event.type
                if etype in LIVENESS_TYPES:
                    await answer_liveness(self, ws, te)
                    continue
                if etype == "connection_established" and self.handshake is not None:
                    self._late_established(te.event)
                elif etype == "handshake_response":
                    # The newest generation's handshake, after the session was opened (a
                    # service that does not announce it in connection_established): answered
                    # as during the opening, or the service refuses every request.
                    await self._acknowledge_handshake(ws, te.event)
                self.queue.put_nowait(te)
        except ConnectionClosed as exc:
            self._on_closed(ws, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let a reader die silently: explain it as a close
            self.mark("error", {"message": f"reader failed: {type(exc).__name__}: {exc}"})
            self._on_closed(ws, None)
        finally:
            # Also breaks the reference cycle socket -> these bound methods -> self -> socket,
            # so a closed session is freed at once rather than at the next full collection.
            ws.sink = None
            ws.sink_many = None
            ws.after_read = None

    async def _acknowledge_handshake(self, ws: StampedConnection, event: Event) -> None:
        ack = {
            "type": "handshake_acknowledged",
            "thread_id": event.thread_id,
            "run_id": event.run_id,
        }
        with contextlib.suppress(SessionClosed):
            await self.send_text(json.dumps(ack), ws)

    def _late_established(self, event: Event) -> None:
        data = established_data(event)
        self.mark("connection_established", data)
        user = data.get("user_id")
        if user is not None and self.handshake is not None:
            self.handshake = replace(self.handshake, server_user_id=str(user))
            self.auth = judge_auth(str(user), self.token_sub)

    def _close_from(self, exc: ConnectionClosed | None, *, intentional: bool) -> CloseInfo:
        return close_info_from(self, exc, intentional=intentional)

    def _on_closed(self, ws: StampedConnection, exc: ConnectionClosed | None) -> None:
        on_closed(self, ws, exc)

    async def reopen(self, policy: ReconnectPolicy) -> None:
        """Reconnect with backoff (``live.reconnect.reopen``)."""
        await reopen(self, policy)

    async def shutdown(self, code: int = 1000, reason: str = "") -> None:
        """Close for good (``live.closing.shutdown``)."""
        await shutdown(self, code, reason)
