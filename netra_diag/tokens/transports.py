"""How a token travels in the WebSocket handshake (PROTOCOL.md §2), from both ends.

Client half: ``build_handshake`` makes the URL, headers and subprotocol list for every transport
the service accepts, ``GOLDEN_PATH`` and ``TEST_HELPER`` are the two formats real clients send,
and ``build_bad_handshake`` makes the known-bad ones negative tests expect to fail.

The server half (what the embedded service uses to find the token) is in ``extraction``.
Nothing here opens a socket; a ``Handshake`` is data that ``live/`` hands to websockets.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from netra_diag.errors import UsageError
from netra_diag.redaction import fingerprint, scrub
from netra_diag.tokens.extraction import (
    MIN_SUBPROTOCOL_TOKEN_LENGTH,
    QUERY_PARAMS,
    TOKEN_PREFIXES,
)
from netra_diag.tokens.inspection import binary_problem, parse_compact
from netra_diag.tokens.keyless import keyless_refusals

__all__ = [
    "GOLDEN_PATH",
    "KNOWN_BAD_FORMATS",
    "TEST_HELPER",
    "Handshake",
    "SubprotocolFormat",
    "Transport",
    "build_bad_handshake",
    "build_handshake",
    "check_ws_url",
    "encode_subprotocol_token",
]


class Transport(StrEnum):
    HEADER = "header"  # Authorization: Bearer <jwt>
    SUBPROTOCOL = "subprotocol"  # ["jwt-auth", "jwt.<base64url>"]: the golden path
    SUBPROTOCOL_RAW = "subprotocol-raw"  # ["jwt-auth", "jwt.<jwt>"]
    TEST_HELPER = "test-helper"  # ["jwt-auth", "jwt-auth.<jwt>", "jwt.<b64url>", "e2e-testing"]
    BEARER = "bearer"  # ["bearer.<base64url>"]
    QUERY = "query"  # ?token=<jwt>
    NONE = "none"  # no credentials


def encode_subprotocol_token(token: str) -> str:
    """Base64url without padding: the form a subprotocol entry carries (PROTOCOL.md §2)."""
    return base64.urlsafe_b64encode(token.encode("utf-8")).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SubprotocolFormat:
    """A subprotocol list a real client sends; call it with a token to get the list."""

    name: str
    description: str
    build: Callable[[str], tuple[str, ...]] = field(repr=False)

    def __call__(self, token: str) -> tuple[str, ...]:
        return self.build(token)


GOLDEN_PATH = SubprotocolFormat(
    "golden-path",
    'the golden-path e2e test: ["jwt-auth", "jwt.<base64url(jwt)>"]',
    lambda token: ("jwt-auth", f"jwt.{encode_subprotocol_token(token)}"),
)
TEST_HELPER = SubprotocolFormat(
    "test-helper",
    'the e2e test helper: ["jwt-auth", "jwt-auth.<jwt>", "jwt.<base64url(jwt)>", "e2e-testing"]',
    lambda token: (
        "jwt-auth",
        f"jwt-auth.{token}",
        f"jwt.{encode_subprotocol_token(token)}",
        "e2e-testing",
    ),
)


# Transports that carry the JWT itself (a ticket handshake carries a ticket, "none" nothing).
_JWT_TRANSPORTS = frozenset(t.value for t in Transport if t is not Transport.NONE)
_AUTHENTICATED = "authenticated"
# What a client checks beside it when the token travels in a subprotocol (PROTOCOL.md §2).
_ECHOED = " (the server echoes the token-bearing subprotocol)"
_REJECTED = "rejected under strict auth (error frame + close 1008)"
_REFUSED = "refused under strict auth (HTTP 403 on the upgrade: factory mode authenticates first)"


def _rejected(url: str) -> str:
    """How the service says no at ``url`` (PROTOCOL.md §2): main mode accepts, sends an error
    frame and closes 1008; factory mode refuses the upgrade, which a client sees as HTTP 403."""
    try:
        parts = urlsplit(url)
        mode = dict(parse_qsl(parts.query)).get("mode", "")
    except ValueError:
        return _REJECTED
    factory = parts.path.rstrip("/") == "/ws/factory" or (
        parts.path.rstrip("/") == "/ws" and mode == "factory"
    )
    return _REFUSED if factory else _REJECTED


def _unread_carrier(kind: Transport, prefix: str, query_param: str, carried: str) -> str | None:
    """Why the server would find no token in this handshake, if it would not (PROTOCOL.md §2:
    it reads only the prefixes in ``TOKEN_PREFIXES``, entries of 10 characters or more, and
    the query parameters in ``QUERY_PARAMS``)."""
    in_entry = kind in (Transport.SUBPROTOCOL, Transport.SUBPROTOCOL_RAW, Transport.BEARER)
    if kind is not Transport.BEARER and in_entry and prefix not in TOKEN_PREFIXES:
        known = ", ".join(f"{p}." for p in TOKEN_PREFIXES)
        return (
            f"the server reads a token only from subprotocol entries prefixed {known}; "
            f"'{prefix}.' is not one, so it selects the plain 'jwt-auth' and finds no token"
        )
    if in_entry and len(carried) < MIN_SUBPROTOCOL_TOKEN_LENGTH:
        return (
            f"the server ignores a subprotocol entry's value under "
            f"{MIN_SUBPROTOCOL_TOKEN_LENGTH} characters ({len(carried)} here)"
        )
    if kind is Transport.QUERY and query_param not in QUERY_PARAMS:
        known = ", ".join(f"?{q}=" for q in QUERY_PARAMS)
        return f"the server reads a token only from {known} (or ?ticket=), not ?{query_param}="
    return None


def _redact_entry(entry: str, token: str, fp: str) -> str:
    if not token:
        return scrub(entry)
    encoded = encode_subprotocol_token(token)
    if entry == token:
        return fp
    prefix, dot, value = entry.partition(".")
    if dot and value == token:
        return f"{prefix}.{fp}"
    if dot and value == encoded:
        return f"{prefix}.<base64url {fp}>"
    return scrub(entry)


def _redact_url(url: str, token: str, fp: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return scrub(url)
    pairs = [(k, fp if v == token else scrub(v)) for k, v in parse_qsl(parts.query, True)]
    # Keep the fingerprint readable: the "…" and "#" would otherwise be percent-encoded.
    query = "&".join(f"{k}={v}" for k, v in pairs)
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True)
class Handshake:
    """What a client sends to open the socket. Holds the token: show it only via ``redacted()``.

    Use as ``websockets.connect(h.url, additional_headers=h.headers, subprotocols=h.subprotocols)``.
    ``expected`` says what the service does with it under strict auth.
    """

    url: str
    headers: Mapping[str, str]
    subprotocols: tuple[str, ...]
    transport: str
    description: str
    token_fingerprint: str = ""
    expected: str = _AUTHENTICATED
    _token: str = field(default="", repr=False, compare=False)

    def expectation(self, now: float | None = None) -> str:
        """``expected``, and when that is "authenticated" but the token is not a well-formed JWT,
        that it is rejected instead and why (worked out only when asked: connecting needs it
        not, and decoding costs a fan-out's preparation time). With ``now``, the claims any
        service checks are judged too (expiry, required claims, issuer, token_type), so an
        expired token is not 'authenticated'; the signature never is (there is no key here)."""
        if not self.expected.startswith(_AUTHENTICATED) or self.transport not in _JWT_TRANSPORTS:
            return self.expected
        parsed = parse_compact(self._token)
        if parsed.problems:
            return f"{_rejected(self.url)}: the token is malformed: {scrub(parsed.problems[0])}"
        if now is None:
            return self.expected
        failures = [
            f.message for f in keyless_refusals(parsed.header or {}, parsed.claims or {}, now)
        ]
        if not failures:
            return f"{self.expected}, if the server's secret signed it (not checked: no key here)"
        more = f" (and {len(failures) - 1} more: netra-diag token verify)" if failures[1:] else ""
        return f"{_rejected(self.url)}: {scrub(failures[0])}{more}"

    def redacted(self, now: float | None = None) -> dict[str, Any]:
        """JSON-safe view with every copy of the token replaced by its fingerprint; with
        ``now``, ``expected`` judges the token's claims too (see :meth:`expectation`)."""
        fp = self.token_fingerprint
        headers = {
            name: (f"Bearer {fp}" if self._token and self._token in value else scrub(value))
            for name, value in self.headers.items()
        }
        return {
            "url": _redact_url(self.url, self._token, fp),
            "headers": headers,
            "subprotocols": [_redact_entry(e, self._token, fp) for e in self.subprotocols],
            "transport": self.transport,
            "description": self.description,
            "expected": self.expectation(now),
            "token": fp,
        }

    def __repr__(self) -> str:
        shown = self.redacted()
        return (
            f"Handshake(transport={self.transport!r}, url={shown['url']!r}, "
            f"headers={shown['headers']!r}, subprotocols={shown['subprotocols']!r})"
        )


def _check_carriable(token: str) -> None:
    """Binary data cannot be put in a header or a subprotocol (nor base64url-encoded as text):
    a usage error saying so, not a UnicodeEncodeError from deep inside."""
    problem = binary_problem(token)
    if problem:
        raise UsageError(f"the token cannot travel in a handshake: {problem}")


# RFC 7230's token characters: all a subprotocol entry (Sec-WebSocket-Protocol) may hold.
_SUBPROTOCOL_ENTRY = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")


def _check_subprotocols(entries: tuple[str, ...], token: str) -> None:
    """A usage error for a subprotocol entry no client can send: websockets refuses it before
    connecting with an error that repeats the whole token (which a traceback then printed), and
    browsers throw. A raw token with base64 padding (``=``) or standard base64's ``+`` and ``/``
    is the usual one; the message names the character, never the token."""
    for entry in entries:
        if _SUBPROTOCOL_ENTRY.fullmatch(entry):
            continue
        bad = next(c for c in entry if not _SUBPROTOCOL_ENTRY.fullmatch(c))
        what = "the token" if token and token in entry else "a subprotocol entry"
        raise UsageError(
            f"{what} cannot travel raw in a subprotocol entry: it holds {bad!r}, which an entry "
            "may not (websockets refuses it, browsers throw before connecting); send it "
            "base64url-encoded (transport subprotocol, the default encoding) or in a header"
        )


def check_ws_url(url: str) -> None:
    """Raise ``UsageError`` unless ``url`` is a ``ws://`` or ``wss://`` URL with a host. The
    message shows the scheme and host only: the rest of a URL may carry a credential."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
    except ValueError:
        parts = None
    scheme = parts.scheme.lower() if parts is not None else ""
    if scheme not in ("ws", "wss"):
        shown = f"{scheme}://" if scheme else "no scheme"
        raise UsageError(f"url must start with ws:// or wss://, got {shown}")
    if parts is None or not parts.hostname:
        raise UsageError(f"url {scheme}:// has no host")


def _with_query(url: str, name: str, token: str) -> str:
    """``url`` carrying ``token`` as ``?name=``. A token parameter the URL already has (a URL
    pasted with an old token) is dropped: the server reads the first of ``QUERY_PARAMS``, so it
    would be read instead of ``token``. Other parameters are kept in order."""
    parts = urlsplit(url)
    carriers = {*QUERY_PARAMS, name}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in carriers]
    return urlunsplit(parts._replace(query=urlencode([*kept, (name, token)])))


_DESCRIPTIONS = {
    Transport.HEADER: "Authorization: Bearer header (§2 step 1; browsers cannot send it, some "
    "load balancers strip it)",
    Transport.SUBPROTOCOL: "subprotocol {entry} after plain 'jwt-auth' (§2 step 2; the golden path "
    "with the defaults)",
    Transport.SUBPROTOCOL_RAW: "subprotocol {entry} carrying the raw JWT (§2 step 2)",
    Transport.TEST_HELPER: TEST_HELPER.description + " (§2 step 2)",
    Transport.BEARER: "subprotocol {entry} (§2 step 2)",
    Transport.QUERY: "query parameter ?{param}=<jwt> (§2 step 3)",
    Transport.NONE: "no credentials at all",
}


def build_handshake(
    url: str,
    token: str,
    transport: Transport | str,
    *,
    prefix: str = "jwt",
    encoding: Literal["base64url", "raw"] = "base64url",
    query_param: str = "token",
) -> Handshake:
    """The handshake that carries ``token`` by ``transport`` to ``url`` (ws:// or wss://).

    ``prefix`` and ``encoding`` shape the token-bearing subprotocol entry (``jwt.``,
    ``jwt-auth.``, ``bearer.``, ``staging-auth.``; base64url without padding or raw);
    ``query_param`` names the query parameter (token, jwt, auth_token, access_token).
    """
    try:
        kind = Transport(transport)
    except ValueError:
        valid = ", ".join(t.value for t in Transport)
        raise UsageError(f"unknown transport {transport!r}; valid: {valid}") from None
    if encoding not in ("base64url", "raw"):
        raise UsageError(f"unknown encoding {encoding!r}; valid: base64url, raw")
    prefix = prefix.rstrip(".")
    if not prefix or any(c in prefix for c in " ,\t\r\n"):
        raise UsageError(f"bad subprotocol prefix {prefix!r}: expected e.g. jwt, jwt-auth, bearer")
    check_ws_url(url)
    if kind is not Transport.NONE and not token:
        raise UsageError("no token given: only transport 'none' goes without one")
    _check_carriable(token)
    headers: dict[str, str] = {}
    subprotocols: tuple[str, ...] = ()
    if kind is Transport.SUBPROTOCOL_RAW:
        encoding = "raw"
    carried = token if encoding == "raw" else encode_subprotocol_token(token) if token else ""
    entry = f"{prefix}.<{'jwt' if encoding == 'raw' else 'base64url'}>"
    if kind is Transport.HEADER:
        headers["Authorization"] = f"Bearer {token}"
    elif kind in (Transport.SUBPROTOCOL, Transport.SUBPROTOCOL_RAW):
        subprotocols = ("jwt-auth", f"{prefix}.{carried}")
    elif kind is Transport.BEARER:
        subprotocols = (f"bearer.{carried}",)
        entry = f"bearer.<{'jwt' if encoding == 'raw' else 'base64url'}>"
    elif kind is Transport.TEST_HELPER:
        subprotocols = TEST_HELPER(token)
    elif kind is Transport.QUERY:
        url = _with_query(url, query_param, token)
    _check_subprotocols(subprotocols, token)
    description = _DESCRIPTIONS[kind].format(entry=entry, param=query_param)
    return Handshake(
        url=url,
        headers=headers,
        subprotocols=subprotocols,
        transport=kind.value,
        description=description,
        token_fingerprint=fingerprint(token) if token else "",
        expected=_expected(url, kind, prefix, query_param, carried),
        _token=token,
    )


def _expected(url: str, kind: Transport, prefix: str, query_param: str, carried: str) -> str:
    if kind is Transport.NONE:
        return f"{_rejected(url)}: no token"
    unread = _unread_carrier(kind, prefix, query_param, carried)
    if unread:
        return f"{_rejected(url)}: no token reaches it: {unread}"
    # (no subprotocol to echo for a header or a query parameter)
    return (
        _AUTHENTICATED if kind in (Transport.HEADER, Transport.QUERY) else _AUTHENTICATED + _ECHOED
    )


_STRICT_FAIL = (
    "rejected under strict auth (error frame + close 1008; HTTP 403 in factory mode); "
    "accepted as a demo user under DEMO auth"
)
KNOWN_BAD_FORMATS: Mapping[str, str] = {
    "jwt-bare": '["jwt", <jwt>]: the token as its own entry, without the "jwt." prefix',
    "jwt-auth-bare": '["jwt-auth", <jwt>]: the token as its own entry after "jwt-auth"',
    "no-token": "no credentials at all: no header, no token subprotocol, no query parameter",
    "unsupported-subprotocol": '["chat-v9"]: only a subprotocol the service does not support',
}


def build_bad_handshake(url: str, token: str, name: str) -> Handshake:
    """A known-bad handshake from ``KNOWN_BAD_FORMATS`` for negative tests."""
    if name not in KNOWN_BAD_FORMATS:
        raise UsageError(f"unknown bad format {name!r}; valid: {', '.join(KNOWN_BAD_FORMATS)}")
    check_ws_url(url)
    _check_carriable(token)
    subprotocols: tuple[str, ...] = {
        "jwt-bare": ("jwt", token),
        "jwt-auth-bare": ("jwt-auth", token),
        "no-token": (),
        "unsupported-subprotocol": ("chat-v9",),
    }[name]
    expected = (
        "accepted, then closed 1003 'No supported subprotocols'"
        if name == "unsupported-subprotocol"
        else _STRICT_FAIL
    )
    return Handshake(
        url=url,
        headers={},
        subprotocols=subprotocols,
        transport=f"bad:{name}",
        description=KNOWN_BAD_FORMATS[name],
        token_fingerprint=fingerprint(token) if token else "",
        expected=expected,
        _token=token,
    )
