"""A live, authenticated, recorded session with the agent service.

::

    async with Session.connect(url, token=lambda: mint_token("u1", key=..., now=time.time()),
                               record="run.jsonl") as session:
        print(session.auth)                 # validated / bypass, server user vs token sub
        run = await session.run("hello", timeout=30)
        print(run.outcome, run.first_event_s, [e.type for e in run.events])

``session = await Session.connect(...)`` works too (then ``await session.close()``), which is
the convenient form in a notebook with top-level ``await``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from netra_diag._types import Clock, WallClock
from netra_diag.errors import SessionClosed, UsageError
from netra_diag.events.model import TimedEvent
from netra_diag.live.connection import CLOSED, Connection, FrameObserver, TokenSource
from netra_diag.live.endpoint import check_endpoint
from netra_diag.live.handshake import check_transport
from netra_diag.live.opening import start_connection
from netra_diag.live.reconnect import ReconnectPolicy
from netra_diag.live.records import Mark, RunRecord
from netra_diag.live.session_views import SessionViews
from netra_diag.recording import Recorder, ReservedCassette

__all__ = ["DEFAULT_MAX_SIZE", "Session", "SessionConnector"]

# Larger than the service's 1 MiB limit on purpose: an oversized frame must reach the recording
# (and be reported) rather than make the client close 1009.
DEFAULT_MAX_SIZE = 16 * 1024 * 1024


class SessionConnector:
    """What ``Session.connect`` returns: ``async with`` it, or ``await`` it."""

    def __init__(self, factory: Callable[[], Awaitable[Session]]) -> None:
        self._factory = factory
        self._session: Session | None = None

    def __await__(self) -> Generator[Any, None, Session]:
        return self._factory().__await__()

    async def __aenter__(self) -> Session:
        self._session = await self._factory()
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()


class Session(SessionViews):
    """One connection (re-opened on reconnect) to the service, with everything it saw.

    Attributes after connecting: ``handshake`` (``HandshakeInfo``), ``auth`` (``AuthVerdict``),
    ``transport`` (the one in use), ``attempts`` (every transport attempt), ``marks``,
    ``history`` (every frame received, newest 10,000; ``own_history`` without the
    attempts ``auto`` abandoned), ``close_info`` (``CloseInfo`` once
    closed), ``rtt_ms``, ``clock_offset``, ``recording_path`` (read-only: see
    :mod:`netra_diag.live.session_views`).
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._closed_for_good = False

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        token: TokenSource = None,
        transport: str = "auto",
        record: str | Path | Recorder | ReservedCassette | None = None,
        labels: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        establish_timeout: float = 5.0,
        close_timeout: float = 2.0,
        ping_every: float | None = 5.0,
        reconnect: ReconnectPolicy | None = None,
        clock: Clock = time.monotonic_ns,
        wall: WallClock = time.time,
        max_size: int | None = DEFAULT_MAX_SIZE,
        user: str | None = None,
        on_frame: FrameObserver | None = None,
        secrets: Iterable[str] = (),
    ) -> SessionConnector:
        """Open a session to ``url`` (``ws://`` or ``wss://``).

        ``token``: a JWT, a zero-argument factory called for every attempt (fresh token on each
        reconnect), or ``None`` (no credentials). ``transport``: ``auto`` (try header, then
        subprotocol ``jwt.<b64url>``, then query, then a single-use ``?ticket=`` from
        ``POST /api/websocket/ticket``; keep the first whose server user matches the
        token's sub, else the first that connected), or one of ``netra_diag.tokens.Transport``
        (``header``, ``subprotocol``, ``subprotocol-raw``, ``test-helper``, ``bearer``,
        ``query``, ``ticket``, ``none``), or ``bad:<name>`` for a known-bad format.
        ``record``: a cassette path (written, flushed per frame), a ``ReservedCassette``
        (``netra_diag.recording.reserve_cassettes``: the file was created ahead of time) or a
        ``Recorder`` you own.
        ``establish_timeout``: how long to wait for ``connection_established`` before going on
        without it (older generations send none). ``ping_every``: seconds between RTT samples
        (``None``: no background pings). ``reconnect``: reconnect automatically after an
        unexpected close (never after 1008). ``clock``/``wall``: injected clocks.
        ``on_frame(direction, timed_event)``: called for every frame in either direction as it
        is recorded (``"in"``/``"out"``; out-frames parsed too), e.g. to print a live trace.
        ``secrets``: other secrets to keep out of the recording, marks and close explanations,
        e.g. the key the tokens are signed with (a message or an echo may quote it); the
        tokens themselves are always scrubbed.

        Raises ``ConnectFailed`` (no HTTP answer), ``HandshakeRejected`` (HTTP status ≠ 101),
        ``SessionClosed`` (accepted then closed, e.g. 1008 auth failure), ``UsageError``.
        """
        check_endpoint(url)
        check_transport(transport, has_token=token is not None)
        for name, value in (("open_timeout", open_timeout), ("close_timeout", close_timeout)):
            if not value > 0:
                raise UsageError(f"{name} must be > 0, got {value}")
        if ping_every is not None and not ping_every > 0:
            raise UsageError(f"ping_every must be > 0 or None, got {ping_every}")

        given = tuple(secrets)

        async def factory() -> Session:
            conn = Connection(
                url,
                token=token,
                transport=transport,
                recorder=None,
                owns_recorder=False,
                open_timeout=open_timeout,
                establish_timeout=establish_timeout,
                close_timeout=close_timeout,
                ping_every=ping_every,
                reconnect=reconnect,
                clock=clock,
                wall=wall,
                max_size=max_size,
                on_frame=on_frame,
                secrets=given,
            )
            await start_connection(conn, record=record, labels=labels, user=user)
            return cls(conn)

        return SessionConnector(factory)

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (bounded by ``close_timeout``) and the recording. Idempotent."""
        if self._closed_for_good:
            return
        self._closed_for_good = True
        await self._conn.shutdown(code, reason)

    async def reconnect(self, policy: ReconnectPolicy | None = None) -> None:
        """Close the current socket if open and connect again with backoff and a fresh token.
        Refuses after a 1008 close (authentication failure), as the web front end does."""
        conn = self._conn
        info = conn.close_info
        if info is not None and info.is_auth_failure:
            raise SessionClosed(
                info.code, info.reason, "not reconnecting after an authentication failure (1008)"
            )
        old = conn._ws
        conn._ws = None
        if old is not None:
            await conn._quiet_close(old)
        if conn._pinger is not None:
            conn._pinger.stop()
        conn._final = False
        await conn.reopen(policy or conn.reconnect_policy or ReconnectPolicy(initial=0.0))
        # A close sentinel left from the old socket would stop the next ``async for`` at once.
        pending = [conn.queue.get_nowait() for _ in range(conn.queue.qsize())]
        for item in pending:
            if item is not CLOSED:
                conn.queue.put_nowait(item)

    def mark(self, name: str, data: Mapping[str, Any] | None = None) -> Mark:
        """Add a custom mark (recorded like the built-in ones)."""
        return self._conn.mark(name, data)

    async def ping(self, timeout: float = 5.0) -> tuple[float | None, float | None]:  # noqa: ASYNC109
        """Sample RTT now: (WebSocket ping ms, app-level ping ms)."""
        return await self._conn.ping(timeout)

    # -- sending -------------------------------------------------------------------------------

    async def send_raw(self, frame: str | bytes | Mapping[str, Any]) -> None:
        """Send any frame as is (a mapping is JSON-encoded); recorded like every frame."""
        data = frame if isinstance(frame, str | bytes) else json.dumps(frame)
        await self._conn.send_text(data)

    async def _send_obj(self, obj: dict[str, Any]) -> dict[str, Any]:
        data = {"type": obj["type"], "thread_id": _thread_of(obj)}
        await self._conn.send_text(json.dumps(obj), mark=("message_sent", data))
        return obj

    async def send_user_message(
        self, text: str, thread_id: str | None = None, run_id: str | None = None
    ) -> dict[str, Any]:
        """``{"type": "user_message", "payload": {"content", "thread_id"?, ...}}`` (§4)."""
        payload: dict[str, Any] = {"content": text, "timestamp": self._conn.now()[1]}
        _put_ids(payload, thread_id, run_id)
        return await self._send_obj({"type": "user_message", "payload": payload})

    async def send_start_agent(
        self,
        request: str,
        thread_id: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``{"type": "start_agent", "payload": {"user_request", "thread_id"?, "context"?}}``."""
        payload: dict[str, Any] = {"user_request": request}
        _put_ids(payload, thread_id, None)
        if context is not None:
            payload["context"] = dict(context)
        return await self._send_obj({"type": "start_agent", "payload": payload})

    async def send_agent_request(
        self,
        agent: str,
        message: str,
        thread_id: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Flat ``{"type": "agent_request", "agent", "message", "thread_id"?, "run_id"?}``."""
        obj: dict[str, Any] = {"type": "agent_request", "agent": agent, "message": message}
        _put_ids(obj, thread_id, run_id)
        return await self._send_obj(obj)

    # -- receiving -----------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[TimedEvent]:
        return self

    async def __anext__(self) -> TimedEvent:
        """Next received frame (liveness frames excluded); stops once closed for good."""
        conn = self._conn
        while True:
            item = await conn.queue.get()
            if item is not CLOSED:
                return item  # type: ignore[no-any-return]
            if conn.closed_for_good() or conn.reconnect_policy is None:
                conn.queue.put_nowait(CLOSED)  # later iterations stop too
                raise StopAsyncIteration

    async def recv(self, timeout: float | None = None) -> TimedEvent:  # noqa: ASYNC109
        """The next received frame; ``SessionClosed`` once closed, ``TimeoutError`` on timeout."""
        async with asyncio.timeout(timeout):
            try:
                return await self.__anext__()
            except StopAsyncIteration:
                raise SessionClosed(*self._conn._closed_args()) from None

    async def read_until_quiet(self, quiet_s: float = 0.3, max_s: float = 2.0) -> None:
        """Keep receiving until the server has sent nothing for ``quiet_s`` (at most ``max_s``
        in all) or has closed; what arrives is kept in ``history``. After a terminal event a
        frame the server sends right behind it (an event after the terminal, an oversized
        ``partial_result``) is then received and judged, instead of depending on whether it
        beat the client's close."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max_s
        while (left := deadline - loop.time()) > 0:
            try:
                await self.recv(timeout=min(quiet_s, left))
            except (TimeoutError, SessionClosed):
                return

    # -- runs ----------------------------------------------------------------------------------

    async def run(
        self,
        message: str,
        *,
        timeout: float = 30.0,  # noqa: ASYNC109 - part of the public API, bounds the whole run
        thread_id: str | None = None,
        run_id: str | None = None,
        kind: str = "user_message",
        agent: str = "triage",
        context: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Send one request and collect events until a terminal event, a close, an error frame or
        ``timeout`` seconds (which bounds everything, sending included). Never raises for those
        outcomes: see ``RunRecord.outcome`` / ``raise_for_outcome()``.

        ``kind``: ``user_message`` (default), ``start_agent`` or ``agent_request``. Frames queued
        before the run starts are dropped from the queue (they stay in ``history``).
        """
        from netra_diag.live.runner import execute_run

        if kind not in ("user_message", "start_agent", "agent_request"):
            raise UsageError(f"kind must be user_message, start_agent or agent_request: {kind!r}")
        if not timeout > 0:
            raise UsageError(f"timeout must be > 0, got {timeout}")

        async def send() -> dict[str, Any]:
            if kind == "start_agent":
                return await self.send_start_agent(message, thread_id, context)
            if kind == "agent_request":
                return await self.send_agent_request(agent, message, thread_id, run_id)
            return await self.send_user_message(message, thread_id, run_id)

        return await execute_run(self._conn, message, send, timeout=timeout)


def _put_ids(obj: dict[str, Any], thread_id: str | None, run_id: str | None) -> None:
    if thread_id is not None:
        obj["thread_id"] = thread_id
    if run_id is not None:
        obj["run_id"] = run_id


def _thread_of(obj: Mapping[str, Any]) -> Any:
    payload = obj.get("payload")
    if isinstance(payload, Mapping):
        return payload.get("thread_id")
    return obj.get("thread_id")
