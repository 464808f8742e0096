"""The connection half of a ``Session``: open (one transport or ``auto``), read, record, answer
heartbeats, sample RTT, explain closes, reconnect. ``session.py`` adds sending and runs on top.

Every frame in either direction goes through ``live.receiving`` (in) or ``_record_out`` (out)
so the recording, the ``last_frames`` kept for close explanations and the history (from which
the clock offset is estimated) stay consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from websockets.exceptions import ConnectionClosed

from netra_diag._types import Clock, WallClock
from netra_diag.closecodes import CloseInfo
from netra_diag.errors import SessionClosed, UsageError
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.live.auth_verdict import AuthVerdict
from netra_diag.live.closing import CLOSED, close_info_from, on_closed, shutdown
from netra_diag.live.event_queue import EventQueue
from netra_diag.live.handshake import (
    HandshakeInfo,
    StampedConnection,
    TransportAttempt,
)
from netra_diag.live.pinger import AppPingTracker, PingSchedule, sample_rtt
from netra_diag.live.receiving import read_loop
from netra_diag.live.reconnect import ReconnectPolicy, reopen
from netra_diag.live.records import (
    LIVENESS_TYPES,
    ClockOffset,
    Mark,
    estimate_clock_offset,
    new_mark,
)
from netra_diag.live.token_facts import TokenFacts, take_prepared
from netra_diag.recording import Recorder
from netra_diag.recording_format import expand_secrets, redact_url, with_secret
from netra_diag.redaction import fingerprint
from netra_diag.tokens import Handshake, token_sub_exp

__all__ = ["CLOSED", "Connection", "FrameObserver", "TokenSource"]

TokenSource = str | Callable[[], str] | None
# Called for every frame, in either direction ("in" / "out"), as it is recorded.
FrameObserver = Callable[[str, TimedEvent], None]
_HISTORY = 10_000


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
        secrets: Iterable[str] = (),
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
        # Secrets the caller knows beyond the tokens (the key it signs them with): scrubbed from
        # the recording, marks and close explanations like the tokens themselves.
        self._given_secrets = tuple(s for s in secrets if s)
        self._secrets: tuple[str, ...] = expand_secrets(self._given_secrets)
        self._facts: tuple[str, tuple[str | None, float | None]] | None = None
        self._fp: tuple[str, str] | None = None
        self._prepared: tuple[str, TokenFacts] | None = None
        self._ws: StampedConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pinger: PingSchedule | None = None
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
        # Indices of frames received on sockets ``auto`` tried and then dropped (an attempt the
        # server refused, or a connected one it did not keep): recorded and in the history, but
        # not the session's own traffic, which the contract checks judge (``own_history``).
        self.abandoned_frames: set[int] = set()
        # Runs this connection has already run to an end (any outcome): a late event of one
        # (sent after its terminal event, or after the client gave up on it) arriving during
        # the next run is that run's straggler, never the next run's first event
        # (``netra_diag.live.runner``).
        self.ended_runs: set[str] = set()
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

    def _add_secret(self, token: str | None, expanded: tuple[str, ...] = ()) -> None:
        """Scrub ``token`` from now on. ``expanded``: ``expand_secrets([token])``, if known."""
        if token and token not in self._secrets:
            if expanded and not self._secrets:
                self._secrets = expanded
            else:
                self._secrets = with_secret(self._secrets, token)
            if self._recorder is not None:
                self._recorder.add_secret(token)

    def next_token(self) -> str | None:
        """A token for the next attempt: a factory is called every time (fresh token)."""
        source = self._token_source
        token = source() if callable(source) else source
        if token is not None and not isinstance(token, str):
            raise UsageError(f"the token factory returned {type(token).__name__}, not str")
        prepared = take_prepared(token) if token else None
        if prepared is not None and token:  # worked out before a fan-out's ramp
            self._facts = (token, (prepared.sub, prepared.exp))
            self._fp = (token, prepared.fingerprint)
            self._prepared = (token, prepared)
            self._add_secret(token, prepared.secrets)
        else:
            self._add_secret(token)
        return token or None

    def prepared_handshake(self, token: str | None, transport: str) -> Handshake | None:
        """The handshake a fan-out built for ``token`` and ``transport`` before its ramp."""
        prepared = self._prepared
        if prepared is None or prepared[0] != token:
            return None
        return prepared[1].handshake_of(self._raw_url, transport)

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

    # -- frames (received ones: ``live.receiving``) ----------------------------------------------

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
        self._reader = asyncio.create_task(read_loop(self, ws), name="netra-session-reader")
        if self._ping_every:
            self._pinger = PingSchedule(self._ping_every, self.ping)

    async def _quiet_close(self, ws: StampedConnection) -> None:
        self._intentional.add(id(ws))
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._close_timeout + 1):
                await ws.close()

    # -- closing -----------------------------------------------------------------------------------

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
