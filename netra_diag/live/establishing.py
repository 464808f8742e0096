"""After the upgrade, before the session is handed out: read until the server says who we are
(``connection_established``, PROTOCOL.md §5), answering the newest generation's handshake, and
wait only where the endpoint will say it (``netra_diag.endpoints``): the older generation's
``/ws/test`` never does, so a client there goes on at once instead of waiting out the timeout.

Functions over a ``Connection`` (its state lives there), as in ``live.opening``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from websockets.exceptions import ConnectionClosed

from netra_diag.endpoints import endpoint_protocol
from netra_diag.errors import SessionClosed
from netra_diag.events.model import Event, TimedEvent
from netra_diag.live.auth_verdict import mark_auth_failed
from netra_diag.live.receiving import established_data, ingest

if TYPE_CHECKING:
    from netra_diag.live.connection import Connection
    from netra_diag.live.stamped_connection import StampedConnection

__all__ = ["await_established"]


async def await_established(
    conn: Connection, ws: StampedConnection
) -> tuple[Mapping[str, Any], list[TimedEvent]]:
    """Read until ``connection_established`` (or ``handshake_complete``), answering the newest
    generation's ``handshake_response``; give up quietly after ``establish_timeout``. Returns
    the establishing frame's fields (empty when none came) and the frames before it.

    The newest generation sends ``handshake_response`` *after* ``connection_established`` and
    refuses requests until ``handshake_complete`` (PROTOCOL.md §5), so when
    ``connection_established`` announces the handshake (``features.handshake``) the reading goes
    on until ``handshake_complete``; the identity still comes from ``connection_established``.

    On an endpoint that sends no ``connection_established`` (``/ws/test``) nothing is read: it
    sends nothing unasked, so there is nothing to wait for. An ``establish_not_expected`` mark
    says so; should one come after all, the receive path takes it (``late_established``)."""
    endpoint = endpoint_protocol(conn._raw_url)
    if not endpoint.sends_established:
        conn.mark("establish_not_expected", {"path": endpoint.path, "why": endpoint.description})
        return {}, []
    early: list[TimedEvent] = []
    established: Mapping[str, Any] | None = None
    try:
        async with asyncio.timeout(conn._establish_timeout):
            while True:
                raw = await ws.recv()
                te = ingest(conn, raw, ws.arrivals.popleft() if ws.arrivals else None)
                ev = te.event
                if ev.type == "connection_established" and established is None:
                    conn.mark("connection_established", established_data(ev))
                    if not _announces_handshake(ev):
                        return ev.fields, early
                    established = ev.fields
                    continue
                if ev.type == "handshake_response":
                    ack = {
                        "type": "handshake_acknowledged",
                        "thread_id": ev.thread_id,
                        "run_id": ev.run_id,
                    }
                    await conn.send_text(json.dumps(ack), ws)
                elif ev.type == "handshake_complete":
                    if established is not None:
                        return established, early
                    conn.mark("connection_established", established_data(ev))
                    return ev.fields, early
                early.append(te)
    except TimeoutError:
        waited: dict[str, Any] = {"waited_s": conn._establish_timeout}
        if established is not None:
            waited["awaiting"] = "handshake_complete"
        conn.mark("establish_timeout", waited)
        return established or {}, early
    except ConnectionClosed as exc:
        info = conn._close_from(exc, intentional=False)
        conn.close_info = info
        conn.mark("close", info.to_dict())
        # Refused credentials, whatever the code (the older authenticator closes 1011).
        closed = SessionClosed(info.code, info.reason, info.explanation())
        if any(te.event.error_code == "AUTH_FAILED" for te in early):
            mark_auth_failed(closed)
        raise closed from exc


def _announces_handshake(event: Event) -> bool:
    """``connection_established`` says a ``handshake_response`` follows (``features.handshake``)."""
    features = event.fields.get("features")
    return isinstance(features, Mapping) and bool(features.get("handshake"))
