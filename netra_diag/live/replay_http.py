"""The plain-HTTP answers of a replay: recorded refusals, and the ticket route.

``http_response`` builds the HTTP answer the replay sends instead of an upgrade (a recorded
refusal, the 503 past the recording, a refused ticket).

``TicketDesk`` answers ``POST /api/websocket/ticket`` (PROTOCOL.md §2 item 3) as the recorded
ticket requests were answered, in turn (``replay_http_plan.TicketPlan``): the k-th request gets
the k-th recorded answer. A recorded refusal is sent again (status, body, headers); a request that
got no answer is dropped before any answer; an issued ticket is issued again, as a fresh random
one, since the cassette never holds the ticket, in the service's shape ``{ticket_id, expires_at,
ttl_seconds, websocket_url}``, as long after the request as the recorded one took (``wait_s``).
Past the recorded requests the desk answers HTTP 503 (or, with
``repeat``, starts them over), as the replay does for upgrades.

An upgrade that carries ``?ticket=`` must carry a ticket this desk issued, unused and unexpired:
tickets are single-use, and a client that reuses one should learn it from the replay as it would
from the service. Otherwise the upgrade is refused with HTTP 403 before any recorded connection is
used. The desk keeps tickets only in memory and never shows them; its answers name none.
"""

from __future__ import annotations

import email.utils
import json
import secrets
from collections.abc import Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Final

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from netra_diag.live.replay_http_plan import TicketPlan

__all__ = ["DEFAULT_TICKET_TTL_S", "TicketDesk", "http_response"]

# What the service grants when the cassette does not say (the reference service's default).
DEFAULT_TICKET_TTL_S: Final = 60.0


def http_response(
    status: int,
    body: str,
    headers: Iterable[tuple[str, str]] = (),
    *,
    content_type: str = "text/plain; charset=utf-8",
) -> Response:
    """An HTTP response that ends the exchange: ``status``, ``body``, the given (non-framing)
    ``headers``; ``content_type`` unless one of them names it."""
    payload = body.encode()
    own = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Length", str(len(payload))),
        ]
    )
    for name, value in headers:
        own[name] = value
    if "Content-Type" not in own:
        own["Content-Type"] = content_type
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:  # a status the stdlib does not name (a proxy's 520, say)
        phrase = "Unknown"
    return Response(status, phrase, own, payload)


class TicketDesk:
    """The ticket route of one running replay (module docstring). ``answers`` has one line per
    ticket request answered, in order, for a person; ``refused_upgrades`` counts the upgrades
    refused for a ticket this desk did not accept."""

    def __init__(self, plans: tuple[TicketPlan, ...], *, cassette: str, repeat: bool) -> None:
        self.plans = plans
        self.cassette = cassette
        self.repeat = repeat
        self.answers: list[str] = []
        self.refused_upgrades = 0
        self._valid: dict[str, float] = {}  # issued, not yet used -> expiry (epoch s)
        self._used: set[str] = set()

    def __repr__(self) -> str:  # never the tickets themselves
        return f"TicketDesk({len(self.plans)} recorded, {len(self.answers)} answered)"

    @property
    def played(self) -> bool:
        """Every recorded ticket request has been answered once."""
        return len(self.answers) >= len(self.plans)

    def _next_plan(self) -> TicketPlan | None:
        """The recorded ticket request the next POST plays (None: past the recording)."""
        n = len(self.plans)
        number = len(self.answers) + 1
        if n == 0 or (number > n and not self.repeat):
            return None
        return self.plans[(number - 1) % n]

    def wait_s(self, method: str) -> float:
        """How long the next request on the ticket path waits for its answer: as long as the
        recorded request it plays took to be answered (``TicketPlan.request_s``; 0 when that was
        not recorded, or the request is refused without playing one)."""
        plan = self._next_plan() if method == "POST" else None
        return 0.0 if plan is None else plan.request_s

    def answer(
        self, ws: ServerConnection, request: Request, *, ws_url: str, now: float
    ) -> Response:
        """Answer one request on the ticket path, as the next recorded ticket request was."""
        method = request.method
        if method != "POST":
            text = f"netra-diag replay: {method} not allowed on the ticket path; use POST\n"
            return http_response(HTTPStatus.METHOD_NOT_ALLOWED, text, [("Allow", "POST")])
        plan = self._next_plan()
        if plan is None:
            number = len(self.answers) + 1
            self.answers.append("refused with HTTP 503: past the recorded ticket requests")
            return http_response(HTTPStatus.SERVICE_UNAVAILABLE, self._beyond_text(number))
        if plan.answer == "reject":
            self.answers.append(f"refused with HTTP {plan.status}, as recorded")
            return http_response(plan.status, plan.body, plan.headers)
        if plan.answer == "drop":
            # The recorded client got no HTTP answer; the response below is never written.
            ws.transport.abort()
            self.answers.append("dropped before answering, as recorded")
            return http_response(HTTPStatus.SERVICE_UNAVAILABLE, "")
        ttl = plan.ttl_seconds or DEFAULT_TICKET_TTL_S
        ticket = secrets.token_urlsafe(24)
        self._valid[ticket] = now + ttl
        self.answers.append(f"issued a fresh ticket (HTTP {plan.status}, valid {ttl:g} s)")
        body = {
            "ticket_id": ticket,
            "expires_at": now + ttl,
            "ttl_seconds": ttl,
            "websocket_url": plan.websocket_url or ws_url,
        }
        text = json.dumps(body, sort_keys=True)
        return http_response(
            plan.status, text, [("Cache-Control", "no-store")], content_type="application/json"
        )

    def redeem(self, ticket: str, now: float) -> str:
        """Use ``ticket`` up: ``""`` when it is accepted, else why not (for the 403 body)."""
        expires = self._valid.pop(ticket, None)
        if expires is None:
            if ticket in self._used:
                return "ticket already used (tickets are single-use: ask for a new one)"
            return "unknown ticket: this replay did not issue it"
        self._used.add(ticket)
        if now > expires:
            return f"ticket expired {now - expires:.1f} s ago"
        return ""

    def redeemed(self) -> frozenset[str]:
        """Tickets used (or tried after they expired): what a test needs to check that a client
        never wrote one down."""
        return frozenset(self._used)

    def _beyond_text(self, number: int) -> str:
        n = len(self.plans)
        held = f"{n} ticket request" + ("" if n == 1 else "s")
        return (
            f"netra-diag replay: the cassette {Path(self.cassette).name} held {held}; this is "
            f"ticket request {number}, which has no recording"
            + ("" if n == 0 else " (repeat=True / --loop starts the cassette over)")
            + "\n"
        )
