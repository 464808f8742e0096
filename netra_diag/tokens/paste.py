"""Find the token in what an engineer pastes: the token alone, or what was around it when it was
copied (quotes, an ``Authorization`` header, a subprotocol entry or the whole subprotocol list,
a URL's query string, a JSON login response), or a token wrapped across lines.

A pasted subprotocol list is PROTOCOL.md §9's category 3: ``["jwt", "<jwt>"]`` carries the token
in an entry the service never reads. Its token is still inspected, and ``Unwrapped.warning`` says
that the service would see none in that list.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from netra_diag.tokens import _jws
from netra_diag.tokens.extraction import (
    TOKEN_PREFIXES,
    extract_from_query,
    extract_from_subprotocols,
)

__all__ = ["Unwrapped", "unwrap_paste"]

_SUBPROTOCOL_PREFIXES = ("jwt-auth.", "staging-auth.", "bearer.", "jwt.")
# Quote pairs, typographic ones included: chat tools and documents turn "..." into “...”.
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "`": "`"}
# What str.strip() keeps but a copy from a web page or a Windows file may carry: a byte-order
# mark, zero-width spaces and joiners.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_WRAPPED = re.compile(r"[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*")
# A JWT's header is JSON, so its base64url starts "eyJ"; the signature is empty for alg none.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# ... standing alone among other words: not the start or end of a longer run of token
# characters ("<jwt>.x", "<jwt>===", "si+g" are a damaged token, said as such by the parser).
_JWT_WORD = re.compile(rf"(?<![A-Za-z0-9_.+/-]){_JWT.pattern}(?![A-Za-z0-9_.+/=-])")
_QUERY_START = re.compile(r"(?:token|jwt|auth_token|access_token)=", re.IGNORECASE)
_PREFIXES = ", ".join(f"{p}." for p in TOKEN_PREFIXES[:-1]) + f" or {TOKEN_PREFIXES[-1]}."
_GOOD_FORMAT = '["jwt-auth", "jwt.<base64url(jwt)>"] (netra-diag token handshake shows it)'


@dataclass(frozen=True)
class Unwrapped:
    """The token found in a paste; ``stripped`` says what was around it, ``warning`` what the
    service would make of the paste as it was (``None`` when it carries the token correctly)."""

    token: str
    stripped: str | None = None
    warning: str | None = None


def _strip_one(token: str, notes: list[str]) -> str:
    """``Bearer <jwt>``, one subprotocol entry, a base64url-encoded JWT: the token inside."""
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
        notes.append("'Bearer ' (an Authorization header value)")
    for prefix in _SUBPROTOCOL_PREFIXES:
        if token.startswith(prefix):
            token = token[len(prefix) :]
            notes.append(f"subprotocol prefix {prefix!r}")
            break
    if "." not in token and token.startswith("ZXlK"):
        try:
            decoded = _jws.b64url_decode(token).decode("ascii")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        if decoded.count(".") == 2:
            token = decoded
            notes.append("base64url encoding (as carried in a subprotocol)")
    return token


def _list_entries(text: str) -> list[str] | None:
    """The entries of a pasted subprotocol list: JSON or Python ``[...]``, or the header's
    comma-separated value; ``None`` when ``text`` is not a list (a JWT holds no comma)."""
    if text.startswith("[") and text.endswith("]"):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(text)
            # literal_eval raises TypeError too ("[{[]: 1}]": an unhashable key).
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return [v.strip() for v in value]
        return None
    entries = [entry.strip() for entry in text.split(",") if entry.strip()]
    # One entry is no list: "<jwt>," is a token copied with the comma after it (from code, a
    # JSON line), not the bare-entry subprotocol list the service would refuse.
    return entries if len(entries) > 1 else None


def _from_list(entries: list[str], notes: list[str]) -> Unwrapped | None:
    shown = json.dumps([e if len(e) < 20 else "<token>" for e in entries])
    choice = extract_from_subprotocols(entries)
    if choice.token:
        decoded = ", base64url-decoded" if choice.decoded_from_base64 else ""
        notes.append(f"a subprotocol list (the token is its entry '{choice.prefix}.…'{decoded})")
        carried = _unsendable_entry(choice.entry or "")
        return Unwrapped(choice.token, ", ".join(notes), carried)
    for entry in entries:
        inner: list[str] = []
        token = _strip_one(entry, inner)
        if token.count(".") != 2 or not token.startswith("eyJ"):
            continue
        notes.append(f"a subprotocol list {shown} (the token is a bare entry)")
        service = (
            f"it selects '{choice.selected}', finds no token and refuses the connection (1008 "
            "in main mode; DEMO mode lets it in as a synthetic user)"
            if choice.selected
            else "none of its entries is a subprotocol the service supports: it closes 1003"
        )
        warning = (
            f"the paste is the known-bad subprotocol format {shown} (PROTOCOL.md §2, §9): the "
            f"service reads a token only from an entry prefixed {_PREFIXES}, so {service}; "
            f"send {_GOOD_FORMAT}"
        )
        return Unwrapped(token, ", ".join(notes), warning)
    return None


# Keys a login or ticket response, or a test fixture, holds a token under, access token first.
_OBJECT_KEYS = ("access_token", "token", "jwt", "auth_token", "id_token", "refresh_token")


def _from_object(text: str, notes: list[str]) -> Unwrapped | None:
    """The token in a pasted JSON object (an auth service's response, a fixture)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    for key in _OBJECT_KEYS:
        inner = value.get(key)
        if isinstance(inner, str) and inner.strip():
            notes.append(f"a JSON object (the token is its {key!r})")
            return Unwrapped(_strip_one(inner.strip(), notes), ", ".join(notes))
    # Under a key of the suite's own ("jwtToken", "authToken"): the one value that is a JWT.
    held = [(k, v) for k, v in value.items() if isinstance(v, str) and _JWT.fullmatch(v.strip())]
    if len(held) == 1:
        notes.append(f"a JSON object (the token is its {held[0][0]!r})")
        return Unwrapped(held[0][1].strip(), ", ".join(notes))
    keys = ", ".join(json.dumps(k) for k in list(value)[:8]) or "none"
    notes.append(f"a JSON object with no token under {', '.join(_OBJECT_KEYS)} (its keys: {keys})")
    return Unwrapped("", ", ".join(notes))


def unwrap_paste(text: str) -> Unwrapped:
    """The token in ``text`` and what was around it. Never raises; returns ``text`` stripped of
    whitespace when nothing is recognised (the parser then says what is wrong with it)."""
    notes: list[str] = []
    token = text.strip().strip(_INVISIBLE).strip()
    if len(token) >= 2 and _QUOTES.get(token[0]) == token[-1]:
        token = token[1:-1].strip()
        notes.append("quotes")
    if token[:14].lower() == "authorization:":
        token = token[14:].strip()
        notes.append("'Authorization:' (a header line)")
    elif token[:23].lower() == "sec-websocket-protocol:":
        token = token[23:].strip()
        notes.append("'Sec-WebSocket-Protocol:' (a header line)")
    if token.startswith("{") and token.endswith("}"):
        found = _from_object(token, notes)
        if found is not None:
            return found
    entries = _list_entries(token)
    if entries is not None:
        found = _from_list(entries, notes)
        if found is not None:
            return found
        if token.startswith("["):
            # A list of names only: said so, rather than "character '[' is not base64url".
            notes.append(f"a subprotocol list of names only, {json.dumps(entries)}")
            return Unwrapped("", ", ".join(notes))
    if "?" in token or "&" in token or _QUERY_START.match(token):
        value, name = extract_from_query(token if "?" in token else "?" + token)
        if value is not None:
            notes.append(f"a query string (the token is its parameter {name!r})")
            token = value.strip()
    carried = _unsendable_entry(token)
    token = _strip_one(token, notes)
    if "\n" in token:
        joined = "".join(token.split())
        # A token wrapped across lines by a terminal, a log or a mail client: rejoined only
        # when the pieces are base64url and make one JWT (two tokens would have four dots).
        if joined.count(".") == 2 and _WRAPPED.fullmatch(joined):
            notes.append("line breaks inside (a token wrapped when copied)")
            token = _strip_one(joined, notes)
    if not _JWT.fullmatch(token):
        alone = _one_jwt_within(text)
        if alone:
            return Unwrapped(alone, "the text around the one JWT in it (a shell, .env or log line)")
    return Unwrapped(token, ", ".join(notes) if notes else None, carried)


def _unsendable_entry(entry: str) -> str | None:
    """Why a subprotocol entry cannot be sent at all: base64 with '=' padding, or standard
    base64's '+' and '/', are separators, not token characters (RFC 6455 §4.1, RFC 7230 §3.2.6):
    the websockets client raises "invalid subprotocol" and a browser a SyntaxError, before any
    byte reaches the service; ``None`` when it can be sent."""
    prefix = next((p for p in _SUBPROTOCOL_PREFIXES if entry.startswith(p)), None)
    bad = sorted(set(entry[len(prefix) :]) & set("=+/")) if prefix else []
    if not bad:
        return None
    what = "'=' padding" if bad == ["="] else "standard base64 (" + " ".join(bad) + ")"
    return (
        f"the entry '{prefix}…' carries {what}, which a subprotocol cannot hold: the websockets "
        "client refuses it ('invalid subprotocol') and a browser throws a SyntaxError, so the "
        "connection is never attempted; send base64url without padding (PROTOCOL.md §2)"
    )


def _one_jwt_within(text: str) -> str | None:
    """The JWT inside a line that holds one among other words (``TOKEN=<jwt>``, ``curl -H
    'Authorization: Bearer <jwt>' …``, ``<jwt>,``); ``None`` for none, or for two (which one was
    meant is not ours to guess, and one pasted twice is a paste gone wrong)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None  # binary data around it: refused whole, as elsewhere
    found = [m.group(0) for m in _JWT_WORD.finditer(text)]
    return found[0] if len(found) == 1 else None
