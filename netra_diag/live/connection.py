"""The connection half of a ``Session``: open (one transport or ``auto``), read, record, answer
heartbeats, sample RTT, explain closes, reconnect. ``session.py`` adds sending and runs on top.

Every frame in either direction goes through ``_ingest``/``_record_out`` so the recording, the
``last_frames`` kept for close explanations and the clock-offset samples stay consistent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from netra_diag._types import Clock, WallClock
from netra_diag.closecodes import CloseInfo
from netra_diag.errors import ConnectFailed, HandshakeRejected, SessionClosed, UsageError
from netra_diag.events.model import Event, TimedEvent, parse_frame
from netra_diag.live.auth_verdict import AuthVerdict, judge_auth
from netra_diag.live.handshake import (
    AUTO_ORDER,
    HandshakeInfo,
    TransportAttempt,
    describe_upgrade,
    make_handshake,
    open_socket,
)
from netra_diag.live.pinger import AppPingTracker, run_pinger
from netra_diag.live.reconnect import ReconnectPolicy
from netra_diag.live.records import LIVENESS_TYPES, ClockOffset, Mark, estimate_clock_offset
from netra_diag.recording import Recorder
from netra_diag.recording_format import expand_secrets, redact_url
from netra_diag.redaction import fingerprint, scrub
from netra_diag.tokens import inspect_token

__all__ = ["CLOSED", "Connection", "TokenSource"]

TokenSource = str | Callable[[], str] | None
CLOSED: Any = object()  # queue sentinel: the connection closed
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
        self._origin = clock()
        self._secrets: tuple[str, ...] = ()
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None
        self._reconnector: asyncio.Task[None] | None = None
        self._open_event = asyncio.Event()
        self._final = False  # closed for good: no reconnect will follow
        self._intentional: set[int] = set()  # ids of sockets we are closing on purpose
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.marks: list[Mark] = []
        self.history: deque[TimedEvent] = deque(maxlen=_HISTORY)
        self.rtt_ms: list[float] = []
        self._offsets: deque[float] = deque(maxlen=_HISTORY)
        self._last_frames: deque[str] = deque(maxlen=5)
        self._app_pings = AppPingTracker()
        self._last_pong_t: float | None = None
        self._last_frame_t: float | None = None
        self._n_in = 0
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

    def mark(self, name: str, data: Mapping[str, Any] | None = None) -> Mark:
        t_ns, wall = self.now()
        m = Mark(name, t_ns / 1e9, wall, dict(data or {}))
        self.marks.append(m)
        if self._recorder is not None:
            self._recorder.mark(name, t_ns=t_ns, wall=wall, data=data)
        return m

    def _add_secret(self, token: str | None) -> None:
        if token and token not in self._secrets:
            self._secrets = expand_secrets([*self._secrets, token])
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

    def _token_facts(self, token: str | None) -> tuple[str | None, float | None]:
        if not token:
            return None, None
        insp = inspect_token(token, now=self._wall())
        sub = (insp.claims or {}).get("sub")
        return (str(sub) if sub is not None else None), insp.times.get("exp")

    @property
    def clock_offset(self) -> ClockOffset | None:
        """Server clock minus client wall clock (median over events with a server timestamp)."""
        return estimate_clock_offset(self._offsets)

    def closed_for_good(self) -> bool:
        """Closed with no reconnect coming (a method, so callers re-read it after awaits)."""
        return self._final

    @property
    def is_open(self) -> bool:
        return self._ws is not None and self._open_event.is_set()

    # -- frames --------------------------------------------------------------------------------

    def _ingest(self, raw: str | bytes) -> TimedEvent:
        t_ns, wall = self.now()
        event = parse_frame(raw)
        if self._recorder is not None:
            self._recorder.frame("in", raw, t_ns=t_ns, wall=wall, event=event)
        t = t_ns / 1e9
        te = TimedEvent(event, t, wall, self._n_in)
        self._n_in += 1
        self._last_frame_t = t
        self.history.append(te)
        text = raw if isinstance(raw, str) else f"<{len(raw)} bytes>"
        self._last_frames.append("← " + scrub(text[:400], self._secrets))
        ts = event.timestamp
        if ts is not None:
            self._offsets.append(ts - wall)
        return te

    def _record_out(self, text: str | bytes, t_ns: int, wall: float) -> None:
        if self._recorder is not None:
            self._recorder.frame("out", text, t_ns=t_ns, wall=wall)
        shown = text if isinstance(text, str) else f"<{len(text)} bytes>"
        self._last_frames.append("→ " + scrub(shown[:400], self._secrets))

    async def send_text(self, data: str | bytes, ws: ClientConnection | None = None) -> None:
        """Send one frame on the current socket and record it."""
        sock = ws or self._ws
        if sock is None:
            raise SessionClosed(*self._closed_args())
        t_ns, wall = self.now()
        try:
            await sock.send(data)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
            raise SessionClosed(code, reason, "sending failed: the connection is closed") from exc
        self._record_out(data, t_ns, wall)

    def _closed_args(self) -> tuple[int | None, str, str]:
        info = self.close_info
        if info is None:
            return None, "", "the session is not connected"
        return info.code, info.reason, info.explanation()

    async def _answer_liveness(self, ws: ClientConnection, te: TimedEvent) -> None:
        etype = te.event.type
        if etype == "pong":
            self._last_pong_t = te.t
            rtt = self._app_pings.answered(te.t)
            if rtt is not None:
                self.rtt_ms.append(rtt * 1e3)
                self.mark("ping_rtt", {"kind": "app", "rtt_ms": rtt * 1e3})
        elif etype == "heartbeat":
            # As the web front end does (PROTOCOL.md §6): answer heartbeat with heartbeat_ack.
            ack = json.dumps({"type": "heartbeat_ack", "timestamp": self._wall()})
            with contextlib.suppress(SessionClosed):
                await self.send_text(ack, ws)
                self.mark("heartbeat_answered", {})

    async def ping(self, timeout: float = 5.0) -> tuple[float | None, float | None]:  # noqa: ASYNC109
        """One RTT sample of each kind: (WebSocket ping/pong ms, app-level ping/pong ms);
        ``None`` for a kind that got no answer within ``timeout``."""
        ws = self._ws
        if ws is None:
            raise SessionClosed(*self._closed_args())
        loop = asyncio.get_running_loop()
        app_waiter: asyncio.Future[float | None] = loop.create_future()
        t_ns, wall = self.now()
        self._app_pings.sent(t_ns / 1e9, app_waiter)
        await self.send_text(json.dumps({"type": "ping", "timestamp": wall}), ws)
        try:
            pong_waiter = await ws.ping()
        except ConnectionClosed as exc:
            raise SessionClosed(*self._closed_args()) from exc
        ws_ms: float | None = None
        app_ms: float | None = None
        try:
            async with asyncio.timeout(timeout):
                latency = await pong_waiter
                ws_ms = latency * 1e3
                self._last_pong_t = self.now()[0] / 1e9
                self.rtt_ms.append(ws_ms)
                self.mark("ping_rtt", {"kind": "ws", "rtt_ms": ws_ms})
                app_s = await app_waiter
                app_ms = None if app_s is None else app_s * 1e3
        except ConnectionClosed:
            pass
        except TimeoutError:
            self.mark("ping_timeout", {"timeout_s": timeout, "ws_rtt_ms": ws_ms})
        return ws_ms, app_ms

    # -- opening ---------------------------------------------------------------------------------

    def _transports(self) -> tuple[str, ...]:
        if self.requested_transport == "auto":
            return ("none",) if self._token_source is None else AUTO_ORDER
        return (self.requested_transport,)

    async def open(self, first_token: str | None = None, *, use_first: bool = False) -> None:
        """Open the socket: one transport, or ``auto`` (keep the first attempt whose server user
        matches the token's sub; else the first that connected at all). Raises our errors."""
        transports = self._transports()
        fallback: tuple[Any, ...] | None = None
        chosen: tuple[Any, ...] | None = None
        last_exc: Exception | None = None
        for i, transport in enumerate(transports):
            token = first_token if (i == 0 and use_first) else self.next_token()
            sub, exp = self._token_facts(token)
            t0 = self.now()[0]
            try:
                ws, info, early = await self._attempt(transport, token, attempt=i + 1)
            except HandshakeRejected as exc:
                self._note_attempt(transport, "rejected", t0, status=exc.status, detail=exc.body)
                last_exc = exc
                continue
            except SessionClosed as exc:
                self._note_attempt(transport, "closed", t0, close=exc.code, detail=exc.reason)
                last_exc = exc
                continue
            except ConnectFailed as exc:
                self._note_attempt(transport, "failed", t0, detail=exc.reason)
                if fallback is not None:
                    await self._quiet_close(fallback[0])
                raise
            verdict = judge_auth(info.server_user_id, sub)
            outcome = (
                "validated" if verdict.validated else "bypass" if verdict.bypass else "unverified"
            )
            self._note_attempt(
                transport, outcome, t0, user=info.server_user_id, detail=verdict.reason
            )
            entry = (ws, info, early, token, sub, exp, verdict, transport)
            if outcome == "validated" or len(transports) == 1:
                chosen = entry
                break
            if fallback is None:
                fallback = entry
            else:
                await self._quiet_close(ws)
        if chosen is None:
            chosen = fallback
        elif fallback is not None:
            await self._quiet_close(fallback[0])
        if chosen is None:
            raise self._all_failed(last_exc)
        ws, info, early, token, sub, exp, verdict, transport = chosen
        self._install(ws, info, early, token, sub, exp, verdict, transport)

    def _note_attempt(
        self,
        transport: str,
        outcome: str,
        t0_ns: int,
        *,
        status: int | None = None,
        close: int | None = None,
        user: str | None = None,
        detail: str = "",
    ) -> None:
        dur = (self.now()[0] - t0_ns) / 1e9
        attempt = TransportAttempt(transport, outcome, status, close, user, detail[:300], dur)
        self.attempts.append(attempt)
        self.mark("transport_attempt", attempt.to_dict())

    def _all_failed(self, last_exc: Exception | None) -> Exception:
        if last_exc is None:
            return ConnectFailed(self.url, "no transport to try")
        if len(self._transports()) == 1:
            return last_exc
        tried = ", ".join(
            f"{a.transport}: {a.outcome}"
            + (f" HTTP {a.status}" if a.status else "")
            + (f" close {a.close_code}" if a.close_code else "")
            for a in self.attempts[-len(self._transports()) :]
        )
        if isinstance(last_exc, SessionClosed):
            return SessionClosed(
                last_exc.code, last_exc.reason, f"{last_exc.explanation} [auto tried {tried}]"
            )
        if isinstance(last_exc, HandshakeRejected):
            body = f"{last_exc.body} [auto tried {tried}]"
            return HandshakeRejected(last_exc.url, last_exc.status, body, last_exc.headers)
        return last_exc

    async def _attempt(
        self, transport: str, token: str | None, *, attempt: int
    ) -> tuple[ClientConnection, HandshakeInfo, list[TimedEvent]]:
        hs = make_handshake(self._raw_url, token, transport)
        self.mark("connect_start", {"transport": transport, "attempt": attempt})
        t0 = self.now()[0]
        try:
            ws = await open_socket(
                hs,
                token=token,
                open_timeout=self._open_timeout,
                max_size=self._max_size,
                close_timeout=self._close_timeout,
                secrets=self._secrets,
            )
        except HandshakeRejected as exc:
            headers = [list(h) for h in (exc.headers or [])]
            data = {"transport": transport, "status": exc.status, "body": exc.body}
            self.mark("handshake_rejected", {**data, "headers": headers})
            raise
        except ConnectFailed as exc:
            self.mark("error", {"transport": transport, "message": exc.reason})
            raise
        upgrade_s = (self.now()[0] - t0) / 1e9
        up = describe_upgrade(ws, hs, token, self._secrets)
        self.mark(
            "upgrade_done",
            {
                "transport": transport,
                "status": up["status"],
                "subprotocol": up["selected"],
                "offered": list(up["offered"]),
                "echoed": up["echoed"],
                "upgrade_ms": upgrade_s * 1e3,
            },
        )
        established, early = await self._await_established(ws, token)
        inner = established.get("data")
        merged = {**established, **(inner if isinstance(inner, Mapping) else {})}
        user = merged.get("user_id")
        info = HandshakeInfo(
            url=redact_url(hs.url, self._secrets),
            transport=transport,
            status=up["status"],
            headers=up["headers"],
            offered_subprotocols=up["offered"],
            selected_subprotocol=up["selected"],
            echoed_token_entry=up["echoed"],
            server_user_id=None if user is None else str(user),
            connection_id=_opt(merged.get("connection_id")),
            mode=_opt(merged.get("mode")),
            established={k: v for k, v in merged.items() if k not in ("type", "data")},
            upgrade_s=upgrade_s,
        )
        return ws, info, early

    async def _await_established(
        self, ws: ClientConnection, token: str | None
    ) -> tuple[Mapping[str, Any], list[TimedEvent]]:
        """Read until ``connection_established`` (or ``handshake_complete``), answering the newest
        generation's ``handshake_response``; give up quietly after ``establish_timeout``."""
        early: list[TimedEvent] = []
        try:
            async with asyncio.timeout(self._establish_timeout):
                while True:
                    raw = await ws.recv()
                    te = self._ingest(raw)
                    ev = te.event
                    if ev.type == "connection_established":
                        self.mark("connection_established", _established_data(ev))
                        return ev.fields, early
                    if ev.type == "handshake_response":
                        ack = {
                            "type": "handshake_acknowledged",
                            "thread_id": ev.thread_id,
                            "run_id": ev.run_id,
                        }
                        await self.send_text(json.dumps(ack), ws)
                    elif ev.type == "handshake_complete":
                        self.mark("connection_established", _established_data(ev))
                        return ev.fields, early
                    early.append(te)
        except TimeoutError:
            self.mark("establish_timeout", {"waited_s": self._establish_timeout})
            return {}, early
        except ConnectionClosed as exc:
            info = self._close_from(exc, intentional=False)
            self.close_info = info
            self.mark("close", info.to_dict())
            raise SessionClosed(info.code, info.reason, info.explanation()) from exc

    def _install(
        self,
        ws: ClientConnection,
        info: HandshakeInfo,
        early: list[TimedEvent],
        token: str | None,
        sub: str | None,
        exp: float | None,
        verdict: AuthVerdict,
        transport: str,
    ) -> None:
        self._ws = ws
        self.token, self.token_sub, self.token_exp = token, sub, exp
        self.transport = transport
        self.handshake = replace(info, attempts=tuple(self.attempts))
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

    async def _quiet_close(self, ws: ClientConnection) -> None:
        self._intentional.add(id(ws))
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self._close_timeout + 1):
                await ws.close()

    # -- reading and closing ---------------------------------------------------------------------

    async def _read_loop(self, ws: ClientConnection) -> None:
        try:
            while True:
                raw = await ws.recv()
                te = self._ingest(raw)
                etype = te.event.type
                if etype in LIVENESS_TYPES:
                    await self._answer_liveness(ws, te)
                    continue
                if etype == "connection_established" and self.handshake is not None:
                    self._late_established(te.event)
                self.queue.put_nowait(te)
        except ConnectionClosed as exc:
            self._on_closed(ws, exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let a reader die silently: explain it as a close
            self.mark("error", {"message": f"reader failed: {type(exc).__name__}: {exc}"})
            self._on_closed(ws, None)

    def _late_established(self, event: Event) -> None:
        data = _established_data(event)
        self.mark("connection_established", data)
        user = data.get("user_id")
        if user is not None and self.handshake is not None:
            self.handshake = replace(self.handshake, server_user_id=str(user))
            self.auth = judge_auth(str(user), self.token_sub)

    def _close_from(self, exc: ConnectionClosed | None, *, intentional: bool) -> CloseInfo:
        code: int | None = None
        reason = ""
        if exc is not None and exc.rcvd is not None:
            code, reason = exc.rcvd.code, exc.rcvd.reason
        elif exc is not None and exc.sent is not None and intentional:
            code, reason = exc.sent.code, exc.sent.reason
        by = "client" if intentional else ("none" if code is None else "server")
        t_ns, wall = self.now()
        return CloseInfo.build(
            code,
            scrub(reason, self._secrets),
            last_frames=tuple(self._last_frames),
            token_exp=self.token_exp,
            close_wall=wall,
            close_t=t_ns / 1e9,
            last_pong_t=self._last_pong_t,
            last_frame_t=self._last_frame_t,
            initiated_by=by,
        )

    def _on_closed(self, ws: ClientConnection, exc: ConnectionClosed | None) -> None:
        intentional = id(ws) in self._intentional
        self._intentional.discard(id(ws))
        info = self._close_from(exc, intentional=intentional)
        self.mark("close", info.to_dict())
        if ws is not self._ws:
            return  # an old socket (replaced by an explicit reconnect) finishing its close
        self.close_info = info
        self._open_event.clear()
        self._app_pings.cancel_all()
        if self._pinger is not None:
            self._pinger.cancel()
        policy = self.reconnect_policy
        if not intentional and policy is not None and policy.should_reconnect(info.code):
            self.queue.put_nowait(CLOSED)
            self._reconnector = asyncio.create_task(self._auto_reconnect(policy))
            return
        if info.is_auth_failure and policy is not None and not intentional:
            self.mark("reconnect_skipped", {"code": info.code, "why": "no reconnect after 1008"})
        self._final = True
        self.queue.put_nowait(CLOSED)

    async def _auto_reconnect(self, policy: ReconnectPolicy) -> None:
        try:
            await self.reopen(policy)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.mark("error", {"message": f"reconnect gave up: {exc}"})
            self._final = True
            self.queue.put_nowait(CLOSED)

    async def reopen(self, policy: ReconnectPolicy) -> None:
        """Reconnect with backoff and a fresh token per attempt; stop at an auth failure."""
        last: Exception | None = None
        for attempt, delay in enumerate(policy.delays(), start=1):
            self.mark("reconnect_attempt", {"attempt": attempt, "delay_s": delay})
            await asyncio.sleep(delay)
            self._ws = None
            try:
                await self.open()
            except HandshakeRejected as exc:
                if exc.status in (401, 403):
                    raise
                last = exc
            except SessionClosed as exc:
                if exc.code == 1008:
                    raise
                last = exc
            except ConnectFailed as exc:
                last = exc
            else:
                self.reconnects += 1
                self.mark("reconnected", {"attempt": attempt, "transport": self.transport})
                return
        raise last or ConnectFailed(self.url, "reconnect policy allows no attempts")

    async def shutdown(self, code: int = 1000, reason: str = "") -> None:
        """Close for good; bounded by ``close_timeout`` however the peer behaves."""
        self._final = True
        for task in (self._reconnector, self._pinger):
            if task is not None and not task.done():
                task.cancel()
        ws = self._ws
        if ws is not None:
            self._intentional.add(id(ws))
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._close_timeout + 1):
                    await ws.close(code, reason)
        reader = self._reader
        if reader is not None and not reader.done():
            try:
                async with asyncio.timeout(self._close_timeout + 1):
                    await reader
            except TimeoutError:
                reader.cancel()
        for task in (self._reconnector, self._pinger):
            if task is not None and not task.done():
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    async with asyncio.timeout(1):
                        await task
        self._open_event.clear()
        if self._owns_recorder and self._recorder is not None:
            self._recorder.close()


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _established_data(event: Event) -> dict[str, Any]:
    keep = ("user_id", "connection_id", "mode", "thread_id", "run_id")
    return {k: event.fields[k] for k in keep if event.fields.get(k) is not None}


def token_label(token: str | None) -> str | None:
    return fingerprint(token) if token else None
