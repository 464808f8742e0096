"""Redaction for cassettes: URLs, handshake headers, subprotocol entries and the disguises a
token travels in, so neither a JWT, a base64url-wrapped JWT nor a raw non-JWT token is written.

Pure (no I/O). Built on ``netra_diag.redaction`` (``scrub``, ``fingerprint``).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, quote_plus, urlsplit, urlunsplit

from netra_diag.redaction import fingerprint, scrub

__all__ = [
    "CREDENTIAL_QUERY_KEYS",
    "SECRET_HEADERS",
    "expand_secrets",
    "redact_headers",
    "redact_subprotocol",
    "redact_url",
    "scrub_fast",
    "with_secret",
]

CREDENTIAL_QUERY_KEYS: frozenset[str] = frozenset(
    {"token", "jwt", "auth_token", "access_token", "ticket", "ticket_id", "api_key", "key"}
)
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_SUBPROTOCOL_PREFIXES = ("jwt.", "jwt-auth.", "bearer.", "staging-auth.")


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


class ExpandedSecrets(tuple[str, ...]):
    """What ``expand_secrets`` returns: passed to it again, it is returned as is (expanding the
    expansions would only add disguises of disguises, and cost a connect a tenth of its time)."""

    __slots__ = ()


def expand_secrets(secrets: Iterable[str]) -> tuple[str, ...]:
    """The secrets plus the disguises they travel in (base64url without padding, as in
    ``Sec-WebSocket-Protocol: jwt.<b64url>``), longest first so a longer form is replaced whole."""
    if type(secrets) is ExpandedSecrets:
        return secrets
    out: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= 4:
            out.add(secret)
            out.add(_b64url(secret))
    return ExpandedSecrets(sorted(out, key=len, reverse=True))


def with_secret(expanded: tuple[str, ...], secret: str | None) -> tuple[str, ...]:
    """``expanded`` (an ``expand_secrets`` result) plus ``secret`` and its disguises. Only the new
    secret is expanded: expanding the whole list again would add disguises of disguises."""
    if not secret or len(secret) < 4 or secret in expanded:
        return expand_secrets(expanded)  # as is when already expanded
    out = {*expanded, secret, _b64url(secret)}
    return ExpandedSecrets(sorted(out, key=len, reverse=True))


def scrub_fast(text: str, secrets: Sequence[str]) -> str:
    """``scrub(text, secrets)``, skipping the regexes when they cannot match: every match of
    ``redaction.JWT_PATTERN`` starts with ``eyJ`` or ``ZXlK``, and a ticket is only replaced
    after ``ticket=`` (checked by a property test). A secret containing a JWT marker cannot be
    in a text that lacks both, so only the other secrets are looked for one by one (a JWT and
    its base64url form never are)."""
    if "eyJ" in text or "ZXlK" in text or "ticket=" in text:
        return scrub(text, secrets)
    if secrets:
        for secret in unmarked_secrets(secrets if isinstance(secrets, tuple) else tuple(secrets)):
            if secret in text:
                return scrub(text, secrets)
    return text


@functools.lru_cache(maxsize=4096)
def unmarked_secrets(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """The secrets without a JWT marker (``eyJ``, ``ZXlK``): the ones ``scrub_fast`` must look
    for one by one in a text that has no marker."""
    return tuple(s for s in secrets if "eyJ" not in s and "ZXlK" not in s)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    return scrub_fast(text, secrets)


def redact_url(url: str, secrets: Iterable[str] = (), *, expanded: bool = False) -> str:
    """``url`` with credential query values (``token=``, ``jwt=``, ``ticket=`` …) and any userinfo
    password replaced by fingerprints; never raises (an unparsable URL is scrubbed as text).
    ``expanded``: ``secrets`` is already an ``expand_secrets`` result (not expanded again)."""
    secret_list = tuple(secrets) if expanded else expand_secrets(secrets)
    if "?" not in url and "@" not in url and scrub_fast(url, secret_list) is url:
        # Nothing in it to redact (no query, no userinfo, no token): every session of a fan-out
        # names the same endpoint, so its parse is done once; only such URLs are kept. Scrubbed
        # again: splitting drops tabs and newlines, which could join a token's pieces.
        return scrub_fast(_reassembled(url), secret_list)
    return _redact_url(url, secret_list)


@functools.lru_cache(maxsize=64)
def _reassembled(url: str) -> str:
    """``url`` as ``_redact_url`` gives it back when it has no query, no userinfo and nothing
    ``scrub`` replaces: split and joined again (which drops an empty fragment marker)."""
    try:
        return urlunsplit(urlsplit(url))
    except ValueError:
        return url


# A fingerprint's "#" would read as the start of the URL's fragment, cutting the query short when
# a redacted URL is redacted again (a mark quoting one): it is swapped for a private-use character
# while the URL is taken apart.
_FINGERPRINT_HASH = "…#"
_HELD = "…\ue000"


def _redact_url(url: str, secret_list: tuple[str, ...]) -> str:
    try:
        parts = urlsplit(url.replace(_FINGERPRINT_HASH, _HELD))
        query = parse_qsl(parts.query, keep_blank_values=True)
        netloc = parts.netloc
    except ValueError:
        return _scrub(url, secret_list)
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:<redacted>@{host}" if ":" in userinfo else f"{userinfo}@{host}"
    new_query = "&".join(_query_pair(k, v) for k, v in query) if query else parts.query
    rebuilt = urlunsplit((parts.scheme, netloc, parts.path, new_query, parts.fragment))
    return _scrub(rebuilt.replace(_HELD, _FINGERPRINT_HASH), secret_list)


def _query_pair(key: str, value: str) -> str:
    """``key=value`` for a redacted URL: a credential's value as its fingerprint, left readable
    (percent-encoding would turn "…" into "%E2%80%A6"); any other value encoded as before."""
    if _HELD in value:  # a fingerprint already
        shown = value
    elif key.lower() in CREDENTIAL_QUERY_KEYS and value:
        shown = fingerprint(value).replace(_FINGERPRINT_HASH, _HELD)
    else:
        shown = quote_plus(value, safe="<>")
    return f"{quote_plus(key, safe='<>')}={shown}"


def redact_subprotocol(value: str, secrets: Iterable[str] = ()) -> str:
    """A ``Sec-WebSocket-Protocol`` entry with its token replaced by a fingerprint: the token's
    own, as ``token inspect`` shows it, where the entry carries it base64url-encoded
    (``jwt.<base64url eyJ…#1a2b3c4d>``, as ``token handshake`` writes it), else the value's
    (``jwt.eyJ…#1a2b3c4d`` for a raw token); a bare token longer than 20 characters is
    fingerprinted whole; plain names (``jwt-auth``) are kept."""
    from netra_diag.tokens.extraction import decode_carried  # (only where there is an entry)

    for prefix in _SUBPROTOCOL_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix):
            carried = value[len(prefix) :]
            token = decode_carried(carried)
            if token is not None:
                return f"{prefix}<base64url {fingerprint(token)}>"
            return prefix + fingerprint(carried)
    if len(value) > 20:
        return fingerprint(value)
    return _scrub(value, expand_secrets(secrets))


def redact_headers(
    headers: Iterable[tuple[str, str]] | Mapping[str, str], secrets: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Header pairs with credential values fingerprinted (``Authorization: Bearer eyJ…#…``),
    ``Sec-WebSocket-Protocol`` entries and URLs with credential parameters (a redirect's
    ``Location: …?token=…``) redacted; everything else scrubbed as text."""
    secret_list = expand_secrets(secrets)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        lname = str(name).lower()
        text = str(value)
        if lname in SECRET_HEADERS:
            scheme, _, cred = text.partition(" ")
            if cred and scheme.isalpha() and len(scheme) < 16:
                text = f"{scheme} {fingerprint(cred)}"
            elif text:
                text = fingerprint(text)
        elif lname == "sec-websocket-protocol":
            text = ", ".join(
                redact_subprotocol(p.strip(), secret_list) for p in text.split(",") if p.strip()
            )
        elif "?" in text and _carries_credential_query(text):
            # A redirect's Location (or any URL-valued header) carrying ?token=…: an opaque
            # token there is not JWT-shaped, only its parameter says what it is.
            text = redact_url(text, secret_list, expanded=True)
        else:
            text = _scrub(text, secret_list)
        out.append((str(name), text))
    return out


def _carries_credential_query(text: str) -> bool:
    low = text.lower()
    return any(f"{key}=" in low for key in CREDENTIAL_QUERY_KEYS)
