"""Authenticate an upgrade request the way the service does (PROTOCOL.md §2 and §3).

Credentials are looked for in the service's order: ``Authorization: Bearer``, then the first
token-bearing ``Sec-WebSocket-Protocol`` entry, then the query (``token``/``jwt``/``auth_token``/
``access_token``, or a single-use ``ticket``). Extraction is ``netra_diag.tokens``'s, so the
service and the client toolkit agree on every format by construction.

Permissive modes, as the service assigns ids (a connect therefore proves nothing about the token):

- ``demo``: everyone is ``demo-user-001``, *even with a valid token*. This is what makes DEMO mode
  detectable: the reported user id differs from the token's ``sub``.
- ``relaxed``: a token that verifies maps to its ``sub``; anything else gets ``relaxed_<n>``.
- ``emergency``: no validation at all; each connection gets ``emergency_<epoch ms>``.

Tickets are single-use and short-lived; only their owner's user id is kept. A redeemed ticket is
remembered until it would have expired, so a second use is refused as "already used" rather than
"unknown". ``EmulatorConfig.transports`` can restrict how credentials may arrive on the upgrade
(e.g. tickets only); the ticket route's own Bearer header is not an upgrade transport.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs

from netra_diag.emulator.config import CREDENTIAL_TRANSPORTS, AuthMode, EmulatorConfig
from netra_diag.redaction import fingerprint, scrub
from netra_diag.tokens import (
    extract_from_header,
    extract_from_query,
    extract_from_subprotocols,
    verify_token,
)

__all__ = [
    "DEMO_USER_ID",
    "AuthDecision",
    "Authenticator",
    "Credentials",
    "TicketStore",
    "read_credentials",
]

DEMO_USER_ID = "demo-user-001"

# What a verdict says of the key it checked with, "secret given (43 characters)".
_SECRET_LENGTH = re.compile(r" \(\d+ characters\)")


@dataclass(frozen=True)
class Credentials:
    """What the upgrade request carried. ``token`` and ``ticket`` never appear in ``repr``."""

    transport: str  # header | subprotocol | query | ticket | none
    token: str | None = field(default=None, repr=False)
    ticket: str | None = field(default=None, repr=False)
    selected_subprotocol: str | None = None
    unsupported_subprotocols: bool = False
    offered_subprotocols: tuple[str, ...] = ()
    query_param: str | None = None

    @property
    def fingerprint(self) -> str | None:
        secret = self.token or self.ticket
        return fingerprint(secret) if secret else None


def read_credentials(authorization: str | None, offered: Sequence[str], query: str) -> Credentials:
    """Find the credential the service would use, and the subprotocol it would echo."""
    choice = extract_from_subprotocols(list(offered))

    def found(
        transport: str,
        token: str | None = None,
        ticket: str | None = None,
        param: str | None = None,
    ) -> Credentials:
        return Credentials(
            transport,
            token=token,
            ticket=ticket,
            selected_subprotocol=choice.selected,
            unsupported_subprotocols=bool(choice.unsupported),
            offered_subprotocols=tuple(offered),
            query_param=param,
        )

    header_token = extract_from_header(authorization) if authorization else None
    if header_token:
        return found("header", token=header_token)
    if choice.token:
        return found("subprotocol", token=choice.token)
    query_token, param = extract_from_query(query)
    if query_token:
        return found("query", token=query_token, param=param)
    ticket = _query_value(query, "ticket")
    if ticket:
        return found("ticket", ticket=ticket, param="ticket")
    return found("none")


def _query_value(query: str, name: str) -> str | None:
    values = parse_qs(query.lstrip("?"), keep_blank_values=False).get(name)
    return values[0] if values else None


@dataclass(frozen=True)
class AuthDecision:
    """The outcome: ``user_id`` when accepted; ``reason`` (no secrets in it) when refused.
    ``validated`` says whether a token was actually verified; ``token_sub`` is its ``sub`` when
    it verified (in any mode)."""

    ok: bool
    user_id: str | None
    transport: str
    reason: str = ""
    failure_codes: tuple[str, ...] = ()
    validated: bool = False
    token_sub: str | None = None
    token_fingerprint: str | None = None


class TicketStore:
    """Single-use tickets from ``POST /api/websocket/ticket`` (ids are random, 192 bits)."""

    def __init__(self) -> None:
        self._tickets: dict[str, tuple[str, float]] = {}
        self._used: dict[str, float] = {}  # redeemed ticket -> its expiry, to name a reuse

    def issue(self, user_id: str, now: float, ttl_s: float) -> tuple[str, float]:
        self._expire(now)
        ticket = secrets.token_urlsafe(24)
        self._tickets[ticket] = (user_id, now + ttl_s)
        return ticket, now + ttl_s

    def redeem(self, ticket: str, now: float) -> tuple[str | None, str]:
        """``(user_id, "")`` once; afterwards ``(None, why)``: already used, expired, unknown."""
        entry = self._tickets.get(ticket)
        if entry is None:
            if ticket in self._used:
                return None, "ticket already used (tickets are single-use)"
            return None, "unknown ticket"
        user_id, expires = entry
        if now > expires:  # stays "expired" until ``issue`` forgets it
            return None, f"ticket expired {now - expires:.1f} s ago"
        del self._tickets[ticket]
        self._used[ticket] = expires
        return user_id, ""

    def redeemed(self) -> frozenset[str]:
        """Tickets used once and still remembered (until they would have expired): what a test
        needs to check that a client never wrote a ticket down."""
        return frozenset(self._used)

    def __len__(self) -> int:
        """Tickets issued and not yet redeemed (expired ones until the next ``issue``)."""
        return len(self._tickets)

    def _expire(self, now: float) -> None:
        for key in [k for k, (_, exp) in self._tickets.items() if exp < now]:
            del self._tickets[key]
        for key in [k for k, exp in self._used.items() if exp < now]:
            del self._used[key]


_HOW_TO_SEND = (
    "no credentials: send 'Authorization: Bearer <jwt>', a 'jwt.<base64url jwt>' subprotocol, "
    "?token=<jwt>, or ?ticket=<id> from POST /api/websocket/ticket"
)


class Authenticator:
    """Applies the configured ``AuthMode`` to ``Credentials``. Holds the relaxed-id counter and
    the ticket store, so one instance serves one running service."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.tickets = TicketStore()
        self._relaxed = itertools.count(1)

    def verify(self, token: str, now: float) -> tuple[bool, str | None, str, tuple[str, ...]]:
        """``(ok, sub, reason, failure codes)`` for one token under strict rules."""
        result = verify_token(token, self.config.secret, now=now, profile=self.config.profile)
        if result.ok:
            sub = result.claims.get("sub")
            return True, str(sub), "", ()
        reason = "; ".join(f.message for f in result.failures) or "token rejected"
        codes = tuple(str(f.code) for f in result.failures)
        # (the reason goes to the client in AUTH_FAILED: not even the secret's length)
        reason = _SECRET_LENGTH.sub("", reason)
        return False, None, scrub(reason, [self.config.secret, token]), codes

    def decide(self, creds: Credentials, now: float) -> AuthDecision:
        """The decision on an upgrade's credentials. A transport ``EmulatorConfig.transports``
        leaves out counts as no credential at all (a ticket sent that way is not spent)."""
        allowed = self.config.transports
        if allowed is not None and creds.transport != "none" and creds.transport not in allowed:
            dropped = Credentials(
                "none",
                selected_subprotocol=creds.selected_subprotocol,
                unsupported_subprotocols=creds.unsupported_subprotocols,
                offered_subprotocols=creds.offered_subprotocols,
            )
            decision = self._decide(dropped, now)
            if decision.ok:
                return decision
            shown = ", ".join(t for t in CREDENTIAL_TRANSPORTS if t in allowed)
            why = f"credentials sent by {creds.transport} are not accepted here (accepted: {shown})"
            return replace(decision, reason=why, failure_codes=("transport_not_accepted",))
        return self._decide(creds, now)

    def decide_bearer(self, token: str, now: float) -> AuthDecision:
        """The decision on the ticket route's ``Authorization: Bearer`` (any transport
        restriction applies to upgrades, not to this HTTP request)."""
        return self._decide(Credentials("header", token=token), now)

    def _decide(self, creds: Credentials, now: float) -> AuthDecision:
        mode = self.config.auth
        fp = creds.fingerprint
        sub: str | None = None
        ok = False
        reason = _HOW_TO_SEND
        codes: tuple[str, ...] = ("missing_token",)
        if creds.token:
            ok, sub, reason, codes = self.verify(creds.token, now)
        elif creds.ticket:
            sub, why = self.tickets.redeem(creds.ticket, now)
            ok, reason, codes = sub is not None, why, (() if sub else ("bad_ticket",))
        if mode is AuthMode.DEMO:
            return AuthDecision(True, DEMO_USER_ID, creds.transport, "", (), ok, sub, fp)
        if mode is AuthMode.EMERGENCY:
            synthetic = f"emergency_{int(now * 1000)}"
            return AuthDecision(True, synthetic, creds.transport, "", (), ok, sub, fp)
        if mode is AuthMode.RELAXED:
            user = sub if ok and sub else f"relaxed_{next(self._relaxed)}"
            return AuthDecision(True, user, creds.transport, "", (), ok, sub, fp)
        if ok and sub:
            return AuthDecision(True, sub, creds.transport, "", (), True, sub, fp)
        return AuthDecision(False, None, creds.transport, reason, codes, False, None, fp)
