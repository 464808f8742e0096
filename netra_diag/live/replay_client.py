"""What a client brought to a replay that the replay does not check: the path it asked for and
the credentials it offered (docs/cassette-format.md, "Replay").

A replay accepts any path and any credentials (other than a ticket it issued), so a client with
a broken token helper, no token at all, or the wrong endpoint still gets the whole recorded
session, and its test passes. That pass says nothing about auth or routing: ``client_notes``
says so whenever what the client brought differs from what the recorded session brought.
Tokens are only fingerprinted and their ``sub`` read, unverified.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from websockets.http11 import Request

from netra_diag.redaction import fingerprint
from netra_diag.tokens import (
    extract_from_header,
    extract_from_query,
    extract_from_subprotocols,
    token_sub_exp,
)

__all__ = ["client_notes"]


def _offered_token(request: Request) -> tuple[str, str] | None:
    """``(how, token)`` for the first credential the client offered, in the service's order."""
    header = extract_from_header(request.headers.get("Authorization"))
    if header:
        return "Authorization header", header
    offered = ",".join(request.headers.get_all("Sec-WebSocket-Protocol"))
    carried = extract_from_subprotocols(offered or None).token
    if carried:
        return "subprotocol", carried
    query, name = extract_from_query(request.path)
    if query:
        return f"query parameter {name}", query
    return None


def client_notes(request: Request, *, endpoint: str, user: str | None) -> tuple[str, ...]:
    """Notes on a client's upgrade ``request`` against the recorded ``endpoint`` and ``user``
    (the cassette header's): empty when the client brought what the recorded session did."""
    notes: list[str] = []
    asked = urlsplit(request.path).path or "/"
    recorded = urlsplit(endpoint).path if endpoint else ""
    if recorded and asked != recorded:
        notes.append(
            f"the client asked for {asked}, the recorded session for {recorded}: a replay "
            "serves any path, so this says nothing about the endpoint"
        )
    if "ticket=" in request.path:
        return tuple(notes)  # a ticket this replay issued: checked, like the service does
    offered = _offered_token(request)
    unchecked = "a replay checks no credentials, so this says nothing about auth"
    if offered is None:
        if user:
            notes.append(
                f"the client offered no credentials (the recorded session was user {user!r}): "
                + unchecked
            )
        return tuple(notes)
    how, token = offered
    sub, _ = token_sub_exp(token)
    if user and sub != user:
        who = f"a token for sub {sub!r}" if sub else "a token without a readable sub"
        notes.append(
            f"the client offered {who} ({fingerprint(token)}, by {how}), the recorded session "
            f"was user {user!r}: {unchecked}"
        )
    return tuple(notes)
