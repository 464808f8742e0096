"""Opening a session's socket: one transport, or ``auto`` (header, then subprotocol, then query,
then a single-use ticket), judging each attempt by who the server says we are
(``connection_established``, PROTOCOL.md §2).

The ``ticket`` transport asks for a fresh ticket on every attempt (``live.ticket``; tickets are
single-use, so a reconnect needs a new one) and adds it to the session's secrets before anything
can show it.

Functions over a ``Connection`` (its state lives there); every attempt is a mark in the
recording, and failures are raised as our own errors (``ConnectFailed``, ``HandshakeRejected``,
``SessionClosed``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from netra_diag.endpoints import endpoint_protocol
from netra_diag.errors import ConnectFailed, HandshakeRejected, SessionClosed, UsageError
from netra_diag.events.model import TimedEvent
from netra_diag.live.auth_verdict import (
    AuthVerdict,
    closed_after_auth_failed,
    judge_auth,
    mark_auth_failed,
)
from netra_diag.live.establishing import await_established
from netra_diag.live.handshake import (
    AUTO_ORDER,
    StampedConnection,
    TransportAttempt,
    describe_upgrade,
    make_handshake,
    open_socket,
)
from netra_diag.live.ticket import TicketRejected, TicketRequestFailed, request_ticket
from netra_diag.recording import Recorder, ReservedCassette
from netra_diag.recording_format import redact_url

if TYPE_CHECKING:
    from netra_diag.live.connection import Connection

__all__ = ["TOKENLESS_TRANSPORTS", "open_connection", "start_connection", "transports_for"]


# Transports whose handshake carries no token at all (``build_bad_handshake``'s no-token and
# unsupported-subprotocol formats send none either).
TOKENLESS_TRANSPORTS = frozenset({"none", "bad:no-token", "bad:unsupported-subprotocol"})


def transports_for(conn: Connection) -> tuple[str, ...]:
    if conn.requested_transport == "auto":
        return ("none",) if conn._token_source is None else AUTO_ORDER
    return (conn.requested_transport,)


async def open_connection(
    conn: Connection, first_token: str | None = None, *, use_first: bool = False
) -> None:
    """Open the socket: one transport, or ``auto`` (keep the first attempt whose server user
    matches the token's sub; else the first that connected at all). Raises our errors."""
    transports = transports_for(conn)
    n_before = conn._n_in
    spans: dict[int, range] = {}  # id(socket) -> the indices of the frames it delivered
    chosen, fallback, last_exc = await _try_transports(
        conn, transports, first_token, use_first, spans
    )
    if chosen is None:
        chosen = fallback
    elif fallback is not None:
        await conn._quiet_close(fallback[0])
    # The frames of every attempt but the kept one are not the session's own
    # (``Connection.abandoned_frames``); when every attempt failed, none is kept.
    kept = spans.get(id(chosen[0]), range(0)) if chosen is not None else range(0)
    conn.abandoned_frames.update(i for i in range(n_before, conn._n_in) if i not in kept)
    if chosen is None:
        raise _all_failed(conn, last_exc)
    ws, info, early, token, sub, exp, verdict, transport = chosen
    conn.install(ws, info, early, token, sub, exp, verdict, transport)


async def _try_transports(
    conn: Connection,
    transports: tuple[str, ...],
    first_token: str | None,
    use_first: bool,
    spans: dict[int, range],
) -> tuple[tuple[Any, ...] | None, tuple[Any, ...] | None, Exception | None]:
    """Try ``transports`` in turn; ``spans`` gets, for each socket that connected, the indices
    of the frames it delivered while being judged."""
    fallback: tuple[Any, ...] | None = None
    chosen: tuple[Any, ...] | None = None
    last_exc: Exception | None = None
    try:
        for i, transport in enumerate(transports):
            token = first_token if (i == 0 and use_first) else conn.next_token()
            # A transport that sends no token is judged as tokenless: the server's user is not
            # compared with the sub of a token that never left, nor its expiry reported.
            sub, exp = (
                (None, None) if transport in TOKENLESS_TRANSPORTS else conn._token_facts(token)
            )
            t0 = conn.now()[0]
            n0 = conn._n_in
            try:
                ws, info, early = await _attempt(conn, transport, token, attempt=i + 1)
            except HandshakeRejected as exc:
                _note_attempt(conn, transport, "rejected", t0, status=exc.status, detail=exc.body)
                last_exc = _telling(last_exc, exc)
                continue
            except SessionClosed as exc:
                _note_attempt(conn, transport, "closed", t0, close=exc.code, detail=exc.reason)
                last_exc = exc
                continue
            except TicketRequestFailed as exc:
                # The WebSocket itself may be fine (an earlier attempt may even have connected):
                # a ticket endpoint that does not answer ends this attempt, not the session.
                _note_attempt(conn, transport, "failed", t0, detail=exc.reason)
                last_exc = _telling(last_exc, exc)
                continue
            except ConnectFailed as exc:
                _note_attempt(conn, transport, "failed", t0, detail=exc.reason)
                if fallback is not None:
                    await conn._quiet_close(fallback[0])
                    fallback = None
                raise
            spans[id(ws)] = range(n0, conn._n_in)
            server_user = info["server_user_id"]
            verdict = _verdict(conn, server_user, sub)
            outcome = (
                "validated" if verdict.validated else "bypass" if verdict.bypass else "unverified"
            )
            # Accepted, then no connection_established (an older generation silent for the whole
            # establish timeout, or /ws/test, which never sends one): no user is named for any
            # transport, so trying the others would judge nothing (and wait again each).
            silent = fallback is None and not info["established"] and server_user is None
            detail = verdict.reason
            if silent and i + 1 < len(transports):
                detail += (
                    "; auto tries no other transport: this endpoint sent no "
                    "connection_established, so none could be judged"
                )
            _note_attempt(conn, transport, outcome, t0, user=server_user, detail=detail)
            entry = (ws, info, early, token, sub, exp, verdict, transport)
            if outcome == "validated" or len(transports) == 1 or silent:
                chosen = entry
                break
            if fallback is None:
                fallback = entry
            else:
                await conn._quiet_close(ws)
    except BaseException:
        if fallback is not None:  # cancelled or failed: leave no socket behind
            fallback[0].transport.abort()
        raise
    return chosen, fallback, last_exc


def _verdict(conn: Connection, server_user: str | None, sub: str | None) -> AuthVerdict:
    """``judge_auth``, but where the endpoint checks no credentials (``/ws/test``, PROTOCOL.md
    §1) and names no user, the reason says so: no user was named because none is checked."""
    endpoint = endpoint_protocol(conn._raw_url)
    if server_user is not None or endpoint.authenticates:
        return judge_auth(server_user, sub)
    reason = (
        f"{endpoint.path} checks no credentials and names no user (PROTOCOL.md §1): "
        "nothing was validated"
    )
    return AuthVerdict(None, sub, None, False, reason)


def _telling(previous: Exception | None, ticket_exc: Exception) -> Exception:
    """The error to report after ``ticket_exc``: a failed ticket request says less about the
    endpoint than what an earlier attempt's WebSocket answered (a service without the ticket
    route answers 404 to it, whatever is wrong with the token), so it wins only when alone."""
    is_ticket = isinstance(ticket_exc, TicketRejected | TicketRequestFailed)
    if is_ticket and previous is not None:
        return previous
    return ticket_exc


def _note_attempt(
    conn: Connection,
    transport: str,
    outcome: str,
    t0_ns: int,
    *,
    status: int | None = None,
    close: int | None = None,
    user: str | None = None,
    detail: str = "",
) -> None:
    dur = (conn.now()[0] - t0_ns) / 1e9
    attempt = TransportAttempt(transport, outcome, status, close, user, detail[:300], dur)
    conn.attempts.append(attempt)
    conn.mark("transport_attempt", attempt.to_dict())


def _all_failed(conn: Connection, last_exc: Exception | None) -> Exception:
    if last_exc is None:
        return ConnectFailed(conn.url, "no transport to try")
    if len(transports_for(conn)) == 1:
        return last_exc
    tried = ", ".join(
        f"{a.transport}: {a.outcome}"
        + (f" HTTP {a.status}" if a.status else "")
        + (f" {a.close_code}" if a.close_code else "")
        for a in conn.attempts[-len(transports_for(conn)) :]
    )
    new: Exception
    if isinstance(last_exc, SessionClosed):
        note = f"{last_exc.explanation} [auto tried {tried}]"
        new = SessionClosed(last_exc.code, last_exc.reason, note)
        if closed_after_auth_failed(last_exc):
            mark_auth_failed(new)
    elif isinstance(last_exc, HandshakeRejected):  # TicketRejected too: keep the class
        body = f"{last_exc.body} [auto tried {tried}]"
        new = type(last_exc)(last_exc.url, last_exc.status, body, last_exc.headers)
    else:
        return last_exc
    new.__cause__ = last_exc.__cause__  # keep the websockets error behind it
    return new


async def _attempt(
    conn: Connection, transport: str, token: str | None, *, attempt: int
) -> tuple[StampedConnection, dict[str, Any], list[TimedEvent]]:
    """Open the socket with one transport and read until established. Returns the socket, its
    ``HandshakeInfo`` fields (``Connection.install`` adds ``attempts``) and the frames before."""
    if transport == "ticket":
        ticket = await _obtain_ticket(conn, token)
        hs = make_handshake(conn._raw_url, token, transport, ticket=ticket)
    else:
        hs = conn.prepared_handshake(token, transport) or make_handshake(
            conn._raw_url, token, transport
        )
    # A close explains itself with the frames of its own socket: an earlier attempt's (auto
    # tries up to four transports) were explained with its own close already.
    conn._last_frames.clear()
    conn.mark("connect_start", {"transport": transport, "attempt": attempt})
    t0 = conn.now()[0]
    try:
        ws = await open_socket(
            hs,
            token=token,
            open_timeout=conn._open_timeout,
            max_size=conn._max_size,
            close_timeout=conn._close_timeout,
            secrets=conn._secrets,
            clock=conn._clock,
        )
    except HandshakeRejected as exc:
        headers = [list(h) for h in (exc.headers or [])]
        data = {"transport": transport, "status": exc.status, "body": exc.body}
        conn.mark("handshake_rejected", {**data, "headers": headers})
        raise
    except ConnectFailed as exc:
        conn.mark("error", {"transport": transport, "message": exc.reason})
        raise
    try:
        upgrade_s = (conn.now()[0] - t0) / 1e9
        up = describe_upgrade(ws, hs, token, conn._secrets)
        conn.mark(
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
        established, early = await await_established(conn, ws)
        inner = established.get("data")
        merged = {**established, **(inner if isinstance(inner, Mapping) else {})}
        user = merged.get("user_id")
        info: dict[str, Any] = {
            "url": redact_url(hs.url, conn._secrets),
            "transport": transport,
            "status": up["status"],
            "headers": up["headers"],
            "offered_subprotocols": up["offered"],
            "selected_subprotocol": up["selected"],
            "echoed_token_entry": up["echoed"],
            "server_user_id": None if user is None else str(user),
            "connection_id": _opt(merged.get("connection_id")),
            "mode": _opt(merged.get("mode")),
            "established": {k: v for k, v in merged.items() if k not in ("type", "data")},
            "upgrade_s": upgrade_s,
        }
        return ws, info, early
    except BaseException:
        # Cancelled or failed after the upgrade: drop the socket now (no close handshake, which
        # could outlive the caller's timeout) so nothing leaks.
        ws.transport.abort()
        raise


async def _obtain_ticket(conn: Connection, token: str | None) -> str:
    """A fresh single-use ticket for this attempt (PROTOCOL.md §2 item 3), bounded by the open
    timeout. It joins the session's secrets at once: from here on every URL, mark and frame line
    shows it as a fingerprint. The ``websocket_url`` the service names is recorded, never used."""
    if not token:
        raise UsageError(
            "transport 'ticket' needs a token: the ticket is requested with "
            "Authorization: Bearer <token>"
        )
    try:
        ticket = await request_ticket(
            conn._raw_url, token, open_timeout=conn._open_timeout, secrets=conn._secrets
        )
    except TicketRejected as exc:
        headers = [list(h) for h in (exc.headers or [])]
        data = {"url": exc.url, "status": exc.status, "body": exc.body, "headers": headers}
        conn.mark("ticket_rejected", data)
        raise
    except TicketRequestFailed as exc:
        conn.mark("error", {"transport": "ticket", "message": str(exc)})
        raise
    conn._add_secret(ticket.ticket_id)
    conn.mark("ticket_issued", ticket.describe(conn._raw_url, conn._secrets))
    return ticket.ticket_id


async def start_connection(
    conn: Connection,
    *,
    record: str | Path | Recorder | ReservedCassette | None,
    labels: Mapping[str, str] | None,
    user: str | None,
) -> None:
    """First open of a session: take the first token, start the recording (its header carries
    that token's fingerprint and sub), open the socket; on failure close what was opened."""
    first = conn.next_token() if conn.has_token_source else None
    sub, _ = conn._token_facts(first)
    if isinstance(record, Recorder):
        conn._recorder = record
        for secret in (*conn._given_secrets, first):
            record.add_secret(secret)  # noqa: ASYNC240 - in-memory only, no file access
    elif record is not None:
        conn._recorder = Recorder(
            record,
            endpoint=conn._raw_url,
            transport=conn.requested_transport,
            token=first,
            user=user or (labels or {}).get("user") or sub,
            started_wall=conn.now()[1],
            labels=labels,
            secrets=conn._secrets,  # expanded already, the first token's disguises included
            token_fingerprint=conn.fingerprint_of(first) if first else None,
            # The header waits for the handshake's lines (below): one write, and a reserved
            # cassette appears under its name with all of them.
            hold=True,
        )
        conn._owns_recorder = True
    rec = conn._recorder
    hold = rec.holding() if rec is not None else contextlib.nullcontext()
    try:
        # The handshake's marks and early frames go to the cassette in one write, before the
        # caller can see anything of the session.
        with hold:
            await open_connection(conn, first, use_first=conn.has_token_source)
    except BaseException:
        await conn.shutdown()
        raise


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
