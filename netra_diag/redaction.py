"""Keep tokens and secrets out of everything we write: fingerprints instead of values.

A fingerprint is an ellipsis and the first eight hex digits of the value's SHA-256, after the
first three characters where those say nothing of it (``eyJ…#a1b2c3d4``: every JWT opens so):
enough to tell two tokens or secrets apart in a bug report, useless to an attacker.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "JWT_PATTERN",
    "SECRET_NAME_PATTERN",
    "environment_secrets",
    "fingerprint",
    "hide_assigned_secrets",
    "scrub",
    "scrub_obj",
    "scrub_shown",
]

# Three base64url segments, the first two starting with '{"' encoded ("eyJ"). The signature may be
# empty (alg none). Also matches base64url-of-JWT as carried in subprotocols ("ZXlK..." is base64 of
# "eyJ"), since that is a token in disguise.
# First, a token a repr cut in the middle ("'eyJhbGciOiJI...<its last 13 characters>'", in
# pytest's assertion output): its tail is the signature's; all of it goes, both sides of "...".
JWT_PATTERN = re.compile(
    r"eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*)*\.\.\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)*"
    r"|eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
    r"|ZXlK[A-Za-z0-9_-]{20,}"
)

# A ticket in a URL's query (PROTOCOL.md §2: the single-use ticket transport). Tickets are opaque
# random strings, not JWT-shaped, so only where they stand says what they are; a server's log
# holds them in its request lines. A value scrubbed already ("<secret …>", or a fingerprint) is
# left alone, so that scrubbing twice changes nothing.
_TICKET_IN_QUERY = re.compile(r"(?<=[?&]ticket=)(?![^&\s#\"'<>]*…)[^&\s#\"'<>]+")


# Environment variables whose values are secrets, by name.
SECRET_NAME_PATTERN = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|API_KEY|CREDENTIAL|JWT", re.IGNORECASE
)
# Shorter values are too common to match on (e.g. "1", "true"), and cannot be real secrets.
_MIN_SECRET_LEN = 8


def environment_secrets(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of the secret-named environment variables (``JWT_SECRET_KEY``, ``*_TOKEN``, …)
    of at least 8 characters, longest first (so that a secret holding another is replaced
    whole): what a report must never print, wherever a test's output quoted it."""
    env = os.environ if environ is None else environ
    found = {
        value
        for name, value in env.items()
        if SECRET_NAME_PATTERN.search(name) and len(value) >= _MIN_SECRET_LEN
    }
    return tuple(sorted(found, key=len, reverse=True))


# What opens every JWT ('{"' in base64url), and the base64 of that (a token in a subprotocol):
# shown, since they tell a token from other secrets and give nothing of it away.
_PUBLIC_OPENINGS = ("eyJ", "ZXl")


def fingerprint(secret: str) -> str:
    """Return a short, stable, non-reversible label for a token or secret: ``eyJ…#a1b2c3d4``
    for a JWT, ``…#a1b2c3d4`` for anything else (a signing secret's or a ticket's first
    characters are part of the secret)."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    head = secret[:3] if secret.startswith(_PUBLIC_OPENINGS) else ""
    return f"{head}…#{digest}"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every JWT-shaped substring, every ticket in a query string and every given secret
    in ``text`` by its fingerprint."""
    out = JWT_PATTERN.sub(lambda m: fingerprint(m.group(0)), text)
    if "ticket=" in out:
        out = _TICKET_IN_QUERY.sub(lambda m: fingerprint(m.group(0)), out)
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in out:
            out = out.replace(secret, f"<secret {fingerprint(secret)}>")
    return out


def scrub_obj(obj: Any, secrets: Iterable[str] = (), *, shown: bool = False) -> Any:
    """Scrub strings anywhere inside a JSON-like structure (dicts, lists, tuples); with
    ``shown``, as :func:`scrub_shown` does."""
    secret_list = tuple(secrets)
    if isinstance(obj, str):
        return scrub_shown(obj, secret_list) if shown else scrub(obj, secret_list)
    if isinstance(obj, Mapping):
        return {k: scrub_obj(v, secret_list, shown=shown) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [scrub_obj(v, secret_list, shown=shown) for v in obj]
    return obj


# "JWT_SECRET_KEY=s3cr3t…", "api_key: …", '"password": "…"': the value a secret-named key is
# set to in a message (a test printing its configuration) is a secret even when this process's
# environment does not hold it. The key's name ends with the secret word (``token_type: access``
# is a claim, not a secret); values shorter than 8 characters are not real secrets (as for
# environment variables), nor are short words without a digit.
_SECRET_ASSIGNMENT = re.compile(
    r"(?:(?i:\b(?:\w*?[_-])?(?:secret(?:[_-]?key)?|token|password|passwd|private[_-]?key"
    r"|api[_-]?key|credentials?|auth[_-]?key|ticket))\b(?P<sep>['\"]?\s*[=:]\s*['\"]?)"
    # an Authorization header's credentials: "Bearer sk_live_…", "Basic dXNlcjpwYXNz"
    r"|(?-i:\b(?:Bearer|Basic|bearer) +))(?P<value>[^\s'\",;)}\]]{8,})"
)


# Every match of _SECRET_ASSIGNMENT holds one of these words, lower-cased.
_SECRET_WORDS = ("secret", "token", "passw", "key", "credential", "ticket", "bearer ", "basic ")


def _hide_assigned_secret(match: re.Match[str]) -> str:
    value = match.group("value")
    if (
        value.startswith("<")
        or "…#" in value
        or (len(value) < 16 and not any(map(str.isdigit, value)))
    ):
        # a placeholder or a fingerprint ("eyJ…#a1b2c3d4") already, or a word
        # ("token: expired_signature", "api_key: None")
        return match.group(0)
    return match.group(0)[: match.start("value") - match.start()] + "<secret>"


def hide_assigned_secrets(text: str) -> str:
    """``text`` with the value set to each secret-named key ("JWT_SECRET=…", "Bearer …")
    replaced by ``<secret>``: for whatever a
    report shows, test ids included."""
    low = text.lower()
    for word in _SECRET_WORDS:  # (substring tests in C: most texts have none of them)
        if word in low:
            return _SECRET_ASSIGNMENT.sub(_hide_assigned_secret, text)
    return text


def scrub_shown(text: str, secrets: Iterable[str] = ()) -> str:
    """What a report shows of a test's own text (a failure, a test id): :func:`scrub`, then the
    values of secret-named keys hidden (:func:`hide_assigned_secrets`)."""
    return hide_assigned_secrets(scrub(text, secrets))
