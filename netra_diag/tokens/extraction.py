"""Find the token in a handshake exactly as the service does (PROTOCOL.md §2): the server half.

The embedded reference service calls these; the client half is ``transports``. Every function
takes untrusted input straight off the wire and never raises.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from netra_diag.redaction import fingerprint

__all__ = [
    "MIN_SUBPROTOCOL_TOKEN_LENGTH",
    "PLAIN_SUBPROTOCOLS",
    "QUERY_PARAMS",
    "TOKEN_PREFIXES",
    "SubprotocolChoice",
    "decode_carried",
    "extract_from_header",
    "extract_from_query",
    "extract_from_subprotocols",
]

# Token-bearing subprotocol prefixes, in the order the service tries them.
TOKEN_PREFIXES: tuple[str, ...] = ("jwt", "jwt-auth", "bearer", "staging-auth")
# Plain names the service selects when no entry carries a token, in its order of preference.
PLAIN_SUBPROTOCOLS: tuple[str, ...] = (
    "jwt-auth",
    "jwt",
    "bearer",
    "e2e-testing",
    "staging-auth",
    "agent_chat",
)
QUERY_PARAMS: tuple[str, ...] = ("token", "jwt", "auth_token", "access_token")
# The service ignores token values shorter than this (after the prefix).
MIN_SUBPROTOCOL_TOKEN_LENGTH = 10


@dataclass(frozen=True)
class SubprotocolChoice:
    """What the service makes of an offered subprotocol list.

    ``selected`` is what the server echoes (the token-bearing entry exactly, or a plain name);
    ``entry`` is the token-bearing entry; ``unsupported`` means subprotocols were offered but none
    is supported (the service then closes 1003).
    """

    selected: str | None = None
    token: str | None = None
    entry: str | None = None
    decoded_from_base64: bool = False
    unsupported: bool = False
    prefix: str | None = None
    ignored: tuple[str, ...] = ()

    def __repr__(self) -> str:
        fp = fingerprint(self.token) if self.token else None
        entry = f"{self.prefix}.<{fp}>" if self.entry and self.prefix else self.selected
        return (
            f"SubprotocolChoice(selected={entry!r}, token={fp!r}, "
            f"decoded_from_base64={self.decoded_from_base64}, unsupported={self.unsupported})"
        )


def decode_carried(value: str) -> str | None:
    """The JWT inside a base64url value, or None when the value is not one (then it is raw)."""
    try:
        padded = value + "=" * (-len(value) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return text if len(text.split(".")) == 3 else None


def extract_from_subprotocols(offered: Sequence[str] | str | None) -> SubprotocolChoice:
    """Pick the token and the subprotocol to echo, as the service does (PROTOCOL.md §2 step 2).

    ``offered`` is the client's list (or the raw comma-separated header). Never raises.
    """
    if offered is None:
        return SubprotocolChoice()
    if isinstance(offered, str):
        offered = offered.split(",")
    try:
        entries = [e.strip() for e in offered if isinstance(e, str) and e.strip()]
    except TypeError:
        return SubprotocolChoice()
    ignored: list[str] = []
    for entry in entries:
        for prefix in TOKEN_PREFIXES:
            if not entry.startswith(prefix + "."):
                continue
            value = entry[len(prefix) + 1 :]
            if len(value) < MIN_SUBPROTOCOL_TOKEN_LENGTH:
                ignored.append(entry)
                break
            decoded = decode_carried(value)
            return SubprotocolChoice(
                selected=entry,
                token=decoded if decoded is not None else value,
                entry=entry,
                decoded_from_base64=decoded is not None,
                prefix=prefix,
                ignored=tuple(ignored),
            )
    for name in PLAIN_SUBPROTOCOLS:
        if name in entries:
            return SubprotocolChoice(selected=name, ignored=tuple(ignored))
    return SubprotocolChoice(unsupported=bool(entries), ignored=tuple(ignored))


def extract_from_header(value: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <jwt>`` value (scheme case-insensitive)."""
    if not isinstance(value, str):
        return None
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        return None
    return credential


def extract_from_query(query: Mapping[str, Any] | str | None) -> tuple[str | None, str | None]:
    """``(token, parameter name)`` from a query string, URL or mapping; ``(None, None)`` if none.

    Parameters are tried in the service's order: token, jwt, auth_token, access_token.
    """
    params: Mapping[str, Any]
    raw: object = query  # typed loosely: wire input may be anything
    if isinstance(raw, str):
        text = raw
        if "?" in text:
            text = text.split("?", 1)[1]
        elif "://" in text or text.startswith("/"):
            return None, None
        params = parse_qs(text.split("#", 1)[0])
    elif isinstance(raw, Mapping):
        params = raw
    else:
        return None, None
    for name in QUERY_PARAMS:
        value = params.get(name)
        if isinstance(value, list | tuple):
            value = next((v for v in value if isinstance(v, str) and v), None)
        if isinstance(value, str) and value:
            return value, name
    return None, None
