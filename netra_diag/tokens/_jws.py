"""The JWS compact serialisation (RFC 7515 §7.1) at the byte level, with PyJWT doing the crypto.

PyJWT's algorithm objects sign and verify; this module only splits, decodes and explains. We do
not call ``jwt.encode``/``jwt.decode`` directly because they stop at the first problem and warn
(``InsecureKeyLengthWarning``) through the process-wide warnings filter, which is not thread-safe
to silence; here every problem becomes data that the caller can explain.
"""

from __future__ import annotations

import base64
import binascii
import re
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jwt.algorithms import Algorithm

__all__ = [
    "HMAC_ALGORITHMS",
    "KeyProblem",
    "b64url_decode",
    "b64url_encode",
    "get_algorithm",
    "prepare_key",
    "sign",
    "verify",
]

_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
_KEY_KINDS = {
    "HS": "an HMAC secret",
    "RS": "a PEM RSA key",
    "PS": "a PEM RSA key",
    "Ed": "a PEM Ed25519/Ed448 key",
}
# PyJWT's key-type message embeds a generator's repr; keep only the readable part.
_GENERATOR_REPR = re.compile(r"Expected one of <generator object .*? at 0x[0-9a-fA-F]+>, ")


class KeyProblem(Exception):
    """The key cannot be used with the algorithm (internal: callers turn it into data)."""


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url decoding; ``ValueError`` says exactly what is wrong.

    Trailing ``=`` padding is tolerated (some issuers add it); any other character outside the
    base64url alphabet is an error, unlike ``base64.urlsafe_b64decode``, which silently drops it.
    """
    stripped = text.rstrip("=")
    if len(text) - len(stripped) > 2:
        raise ValueError(f"{len(text) - len(stripped)} '=' padding characters (at most 2 allowed)")
    # The regex checks the whole segment in C; the loop below only runs to name the bad character.
    bad = None if _BASE64URL.fullmatch(stripped) else enumerate(stripped)
    for offset, char in bad or ():
        if char not in _ALPHABET:
            shown = repr(char) if char.isprintable() else f"U+{ord(char):04X}"
            hint = " (standard base64, not base64url)" if char in "+/" else ""
            raise ValueError(
                f"character {shown} at offset {offset} is not in the base64url alphabet{hint}"
            )
    if len(stripped) % 4 == 1:
        raise ValueError(
            f"length {len(stripped)} is impossible for base64 (one character too many or missing)"
        )
    try:
        return base64.urlsafe_b64decode(stripped + "=" * (-len(stripped) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - excluded by the checks above
        raise ValueError(str(exc)) from exc


@cache
def _algorithms() -> dict[str, Algorithm]:
    # Imported on first use: PyJWT pulls in cryptography (~75 ms), which `import netra_diag.tokens`
    # and the CLI's --help should not pay for.
    from jwt.algorithms import get_default_algorithms

    return {name: alg for name, alg in get_default_algorithms().items() if name != "none"}


@cache
def _key_errors() -> tuple[type[Exception], ...]:
    from jwt.exceptions import PyJWTError

    return (PyJWTError, ValueError, TypeError)


def get_algorithm(name: str) -> Algorithm | None:
    """PyJWT's implementation of ``name`` (``None`` for ``none`` or an unknown name)."""
    return _algorithms().get(name)


def _key_kind(alg: str) -> str:
    return _KEY_KINDS.get(alg[:2], "a PEM EC key")


def prepare_key(alg: str, key: str | bytes, *, for_signing: bool) -> Any:
    """Load ``key`` for ``alg``; raise ``KeyProblem`` with a reason a person can act on.

    For verification a private key is accepted too: its public half is used.
    """
    algorithm = get_algorithm(alg)
    if algorithm is None:
        raise KeyProblem(f"algorithm {alg!r} is not supported")
    try:
        prepared = algorithm.prepare_key(key)
    except _key_errors() as exc:
        reason = _GENERATOR_REPR.sub("", str(exc))
        raise KeyProblem(
            f"{alg} needs {_key_kind(alg)}; the key given is not one ({reason})"
        ) from exc
    is_private = hasattr(prepared, "sign") and hasattr(prepared, "public_key")
    if for_signing and alg not in HMAC_ALGORITHMS and not is_private:
        raise KeyProblem(f"{alg} signs with a private key; the key given is a public key")
    if not for_signing and is_private:
        prepared = prepared.public_key()
    return prepared


def sign(alg: str, signing_input: bytes, key: str | bytes) -> bytes:
    algorithm = get_algorithm(alg)
    if algorithm is None:
        raise KeyProblem(f"algorithm {alg!r} is not supported")
    prepared = prepare_key(alg, key, for_signing=True)
    try:
        return bytes(algorithm.sign(signing_input, prepared))
    except _key_errors() as exc:
        raise KeyProblem(f"signing with {alg} failed: {exc}") from exc


def verify(alg: str, signing_input: bytes, signature: bytes, key: str | bytes) -> bool:
    """True when ``signature`` is valid; ``KeyProblem`` when the key does not fit ``alg``."""
    algorithm = get_algorithm(alg)
    if algorithm is None:
        raise KeyProblem(f"algorithm {alg!r} is not supported")
    prepared = prepare_key(alg, key, for_signing=False)
    try:
        return bool(algorithm.verify(signing_input, prepared, signature))
    except _key_errors() as exc:
        raise KeyProblem(f"{alg} verification could not run with this key: {exc}") from exc
