"""The plain-HTTP side of a replay plan (no I/O, no clock): answers that are not a WebSocket.

- A recorded refusal, of an upgrade (``handshake_rejected``) or of a ticket request
  (``ticket_rejected``), is replayed as its HTTP status, body and headers: ``recorded_refusal``.
- A ticket request (``POST /api/websocket/ticket``, PROTOCOL.md §2 item 3) the session made before
  an upgrade becomes a :class:`TicketPlan` (``plan_tickets``). The cassette records that a ticket
  was issued (``ticket_issued``: status, ``ttl_seconds``, the advertised ``websocket_url``
  redacted) but never the ticket, so the replay issues a fresh one of its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from netra_diag.recording_format import FrameRecord, MarkRecord

__all__ = ["TicketAnswer", "TicketPlan", "plan_tickets", "recorded_int", "recorded_refusal"]

TicketAnswer = Literal["issue", "reject", "drop"]

# How ``live.opening`` names a ticket request that got no HTTP answer in its ``error`` mark.
_TICKET_FAILED_PREFIX = "ticket request "
# Headers the replay writes itself (framing, hop-by-hop) rather than copying from the recording.
_OWN_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}
)
_HEADER_NAME_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class TicketPlan:
    """One recorded ticket request. ``issue``: answered with a fresh single-use ticket valid
    ``ttl_seconds`` (the recorded one is never in a cassette); ``websocket_url`` is the recorded
    advertised URL when it was another origin (else the replay names its own). ``reject``: the
    recorded ``status``, ``body`` and ``headers``. ``drop``: no HTTP answer was recorded."""

    answer: TicketAnswer = "issue"
    status: int = 200
    ttl_seconds: float | None = None
    websocket_url: str | None = None
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    request_s: float = 0.0

    def describe(self) -> str:
        """One line for a person: how this ticket request will be answered."""
        if self.answer == "reject":
            return f"refuses the ticket request with HTTP {self.status}"
        if self.answer == "drop":
            return "drops the ticket request before answering (no HTTP answer was recorded)"
        ttl = "" if self.ttl_seconds is None else f", valid {self.ttl_seconds:g} s"
        took = f" after {self.request_s * 1e3:.1f} ms" if self.request_s else ""
        return f"issues a fresh single-use ticket{took} (HTTP {self.status}{ttl})"


def recorded_int(value: Any) -> int | None:
    """A recorded number as an int (an HTTP status, a close code); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if math.isfinite(value) else None


def recorded_refusal(
    mark: MarkRecord, warnings: list[str]
) -> tuple[int, str, tuple[tuple[str, str], ...]] | None:
    """(status, body, headers) of a recorded refusal (of an upgrade or a ticket request); None,
    with a warning, when it has no usable HTTP status: the replay drops that request instead."""
    status = recorded_int(mark.data.get("status"))
    if status is None or not 200 <= status <= 599:
        warnings.append(
            f"line {mark.lineno}: refusal without a usable HTTP status ({status!r}); "
            "the replay drops the connection instead"
        )
        return None
    body = mark.data.get("body")
    headers = _replayable_headers(mark.data.get("headers"))
    return status, body if isinstance(body, str) else "", headers


def _replayable_headers(value: Any) -> tuple[tuple[str, str], ...]:
    """Recorded response headers worth sending again: well-formed pairs, minus the framing ones
    the replay writes itself. A hand-edited cassette cannot inject lines into the response."""
    if not isinstance(value, list):
        return ()
    kept: list[tuple[str, str]] = []
    for item in value:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            continue
        name, text = item
        if not (isinstance(name, str) and isinstance(text, str) and name):
            continue
        if not set(name.lower()) <= _HEADER_NAME_CHARS or "\r" in text or "\n" in text:
            continue
        if name.lower() not in _OWN_HEADERS:
            kept.append((name, text))
    return tuple(kept)


def plan_tickets(
    ordered: Sequence[FrameRecord | MarkRecord], warnings: list[str]
) -> tuple[TicketPlan, ...]:
    """The recorded ticket requests, in the order of ``ordered`` (records sorted by time)."""
    tickets: list[TicketPlan] = []
    for rec in ordered:
        if not isinstance(rec, MarkRecord):
            continue
        data = rec.data
        if rec.name == "ticket_issued":
            status = recorded_int(data.get("status"))
            ttl = data.get("ttl_seconds")
            advertised = data.get("websocket_url")
            other_origin = data.get("websocket_url_same_origin") is False
            request_ms = _positive_or_none(data.get("request_ms"))
            tickets.append(
                TicketPlan(
                    status=status if status is not None and 200 <= status < 300 else 200,
                    ttl_seconds=_positive_or_none(ttl),
                    websocket_url=advertised
                    if other_origin and isinstance(advertised, str)
                    else None,
                    request_s=request_ms / 1e3 if request_ms is not None else 0.0,
                )
            )
        elif rec.name == "ticket_rejected":
            refusal = recorded_refusal(rec, warnings)
            if refusal is None:
                tickets.append(TicketPlan(answer="drop"))
            else:
                status, body, headers = refusal
                tickets.append(TicketPlan("reject", status, body=body, headers=headers))
        elif rec.name == "error" and data.get("transport") == "ticket":
            message = data.get("message")
            if isinstance(message, str) and message.startswith(_TICKET_FAILED_PREFIX):
                tickets.append(TicketPlan(answer="drop"))
    return tuple(tickets)


def _positive_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None
