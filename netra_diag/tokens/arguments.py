"""The arguments the token functions take, checked once: a token as text, a key, a list of
algorithms, extra claims.

A wrong *type* is the caller's mistake, not a bad token, so it raises ``UsageError`` naming the
argument, instead of a ``TypeError`` from deep inside or a verdict about the text ``"None"``.
Bytes are accepted wherever text is, and decoded (a token is ASCII, RFC 7515 §7.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netra_diag.errors import UsageError

__all__ = ["algorithm_names", "claims_mapping", "key_material", "token_text"]


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def token_text(token: object, *, what: str = "token") -> str:
    """``token`` as text: a ``str`` as it is, bytes decoded (bytes that are not UTF-8 keep a
    U+FFFD in their place, which the parser then reports as a bad character)."""
    if isinstance(token, str):
        return token
    if isinstance(token, bytes | bytearray | memoryview):
        return bytes(token).decode("utf-8", errors="replace")
    raise UsageError(f"{what} must be a str (or bytes), got {_kind(token)}")


def key_material(key: object, *, what: str = "key") -> str | bytes:
    """An HMAC secret or a PEM key: ``str`` or bytes (bytearray and memoryview are copied)."""
    if isinstance(key, str | bytes):
        return key
    if isinstance(key, bytearray | memoryview):
        return bytes(key)
    if key is None:
        raise UsageError(
            f"no {what} given: pass the HMAC secret (str or bytes) or a PEM key; "
            "netra_diag.tokens.resolve_secret finds the one this service uses"
        )
    raise UsageError(
        f"{what} must be a str or bytes (an HMAC secret or a PEM key), got {_kind(key)}"
    )


def algorithm_names(algorithms: object) -> tuple[str, ...]:
    """One algorithm name (``"HS256"``) or a sequence of them, as a tuple."""
    if isinstance(algorithms, str):
        return (algorithms,)
    if isinstance(algorithms, Sequence | frozenset | set) and not isinstance(
        algorithms, bytes | bytearray
    ):
        names = tuple(algorithms)
        bad = [a for a in names if not isinstance(a, str)]
        if not bad:
            return names
        raise UsageError(f"algorithms must be names like 'HS256', got {bad[0]!r} among them")
    raise UsageError(
        f"algorithms must be a name like 'HS256' or a list of names, got {_kind(algorithms)}"
    )


def claims_mapping(claims: object) -> Mapping[str, Any]:
    """Extra claims: ``None`` (none) or a mapping of claim name (str) to value."""
    if claims is None:
        return {}
    if not isinstance(claims, Mapping):
        raise UsageError(
            f"claims must be a mapping of claim name to value (a dict), got {_kind(claims)}"
        )
    bad = [name for name in claims if not isinstance(name, str)]
    if bad:
        raise UsageError(f"claim names must be strings, got {bad[0]!r}")
    return claims
