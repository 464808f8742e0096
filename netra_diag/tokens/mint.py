"""Mint tokens shaped like the auth service's (PROTOCOL.md §3; claims per RFC 7519 §4.1).

``now`` is always a parameter. Extra claims override the defaults, and a claim given as ``None``
removes a default one, so every test-helper drift can be reproduced on purpose
(``iss="netra-test"``, ``token_type=None`` with ``type="access"``, ...).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Mapping
from typing import Any

from netra_diag.errors import UsageError
from netra_diag.tokens import _jws
from netra_diag.tokens.arguments import claims_mapping, key_material
from netra_diag.tokens.profiles import Profile, get_profile

__all__ = [
    "MAX_EXP",
    "SUPPORTED_ALGORITHMS",
    "check_secret_length",
    "default_claims",
    "mint_token",
    "parse_ttl",
]

SUPPORTED_ALGORITHMS = (
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "ES256",
    "ES384",
    "EdDSA",
    "none",
)

_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
# The last second of year 9999: the largest exp a datetime (PyJWT's, Python's) can hold.
MAX_EXP = 253_402_300_799
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_COMPONENT = re.compile(rf"({_NUMBER})\s*([a-z]+)")
_DURATION = re.compile(rf"(?:{_NUMBER}\s*[a-z]+\s*)+")


def parse_ttl(text: str | float) -> float:
    """Seconds in a duration: ``"15m"``, ``"90s"``, ``"2h"``, ``"1d"``, ``"1h30m"``, ``"300"``.

    A leading ``-`` gives a negative lifetime (an already-expired token for negative tests).
    Raises ``UsageError`` naming the bad input.
    """
    if isinstance(text, bool):
        raise UsageError(f"bad TTL {text!r}: expected a duration like 15m, 90s, 2h, 1d or 300")
    if isinstance(text, int | float):
        if not math.isfinite(text):
            raise UsageError(f"bad TTL {text!r}: must be a finite number of seconds")
        return float(text)
    if not isinstance(text, str):
        raise UsageError(f"bad TTL {text!r}: expected a string or a number of seconds")
    raw = text.strip().lower()
    sign = 1.0
    if raw and raw[0] in "+-":
        sign = -1.0 if raw[0] == "-" else 1.0
        raw = raw[1:].strip()
    if re.fullmatch(_NUMBER, raw):
        return sign * float(raw)
    if raw and _DURATION.fullmatch(raw):
        total = 0.0
        for number, unit in _COMPONENT.findall(raw):
            if unit not in _UNITS:
                units = ", ".join(sorted(set(_UNITS), key=_UNITS.__getitem__))
                raise UsageError(f"bad TTL {text!r}: unknown unit {unit!r} (known: {units})")
            total += float(number) * _UNITS[unit]
        return sign * total
    raise UsageError(f"bad TTL {text!r}: expected a duration like 15m, 90s, 2h, 1d, 1h30m or 300")


def default_claims(
    sub: str,
    *,
    profile: Profile,
    iat: int,
    exp: int,
    token_type: str,
    jti: str,
) -> dict[str, Any]:
    """The claims the auth service puts in a token of ``token_type`` (PROTOCOL.md §3)."""
    return {
        "sub": sub,
        "email": f"{sub}@example.com",
        "permissions": ["read", "write"],
        "iat": iat,
        "exp": exp,
        "token_type": token_type,
        "type": token_type,
        "iss": profile.issuer,
        "aud": profile.audience_for(token_type),
        "jti": jti,
    }


def _lifetime(
    profile: Profile, token_type: str, ttl: str | float | None, expires_in: float | None
) -> float:
    if ttl is not None and expires_in is not None:
        raise UsageError("give either ttl or expires_in, not both")
    if ttl is not None:
        return parse_ttl(ttl)
    if expires_in is not None:
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            raise UsageError(f"bad expires_in {expires_in!r}: expected a number of seconds")
        return parse_ttl(float(expires_in))
    return float(profile.ttl_for(token_type))


def _check_key(prof: Profile, algorithm: str, key: str | bytes) -> None:
    check_secret_length(prof, algorithm, key, "the secret given")


def check_secret_length(
    profile: Profile | str, algorithm: str, key: str | bytes, source: str
) -> None:
    """A ``UsageError`` naming ``source`` (``$STAGING_SECRET``, a key file) when an HMAC secret
    is shorter than ``profile``'s services accept: "the secret given has 3" left the user to
    guess which of their variables it was."""
    prof = get_profile(profile) if isinstance(profile, str) else profile
    if algorithm in _jws.HMAC_ALGORITHMS and prof.min_secret_length:
        length = len(key)
        if length < prof.min_secret_length:
            raise UsageError(
                f"{prof.name} secrets are at least {prof.min_secret_length} characters; "
                f"{source} has {length} (PROTOCOL.md §3)"
            )


def _unencodable(body: Mapping[str, Any]) -> str:
    """Which claim JSON refuses (NaN, infinity, an object), named so it can be fixed."""
    for name, value in body.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            return f"claim {name!r} ({type(value).__name__})"
    return "the claims"


def mint_token(
    sub: str,
    *,
    key: str | bytes,
    now: float,
    algorithm: str = "HS256",
    profile: str | Profile = "local",
    ttl: str | float | None = None,
    expires_in: float | None = None,
    claims: Mapping[str, Any] | None = None,
    token_type: str = "access",
    allow_production: bool = False,
    kid: str | None = None,
) -> str:
    """Sign a token for ``sub`` as the ``profile``'s auth service would, issued at ``now``.

    ``ttl`` (``"15m"``) or ``expires_in`` (seconds) override the profile's lifetime for
    ``token_type``. ``algorithm="none"`` makes an unsigned token (the service must refuse it).
    ``key`` is the HMAC secret, or a PEM private key for RS*/PS*/ES*/EdDSA.
    Raises ``UsageError`` for bad arguments, keys or claims.
    """
    prof = get_profile(profile)
    if prof.requires_explicit and not allow_production:
        raise UsageError(
            f"the {prof.name} profile mints tokens the live service accepts; confirm with "
            "allow_production=True (--allow-production)"
        )
    if not isinstance(sub, str) or not sub:
        raise UsageError(f"sub must be a non-empty string, got {sub!r}")
    if not isinstance(token_type, str) or not token_type:
        raise UsageError(f"token_type must be a non-empty string, got {token_type!r}")
    extra = claims_mapping(claims)
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise UsageError(
            f"unsupported algorithm {algorithm!r}; choose one of {', '.join(SUPPORTED_ALGORITHMS)}"
        )
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise UsageError(f"now must be finite epoch seconds, got {now!r}")
    lifetime = _lifetime(prof, token_type, ttl, expires_in)
    iat = math.floor(now)
    exp = iat + lifetime
    if not 0 <= exp <= MAX_EXP:
        given = (
            f"ttl {ttl!r}"
            if ttl is not None
            else f"expires_in {expires_in!r}"
            if expires_in is not None
            else f"now {now!r}"
        )
        raise UsageError(
            f"{given} puts exp outside 1970..9999 (NumericDate, RFC 7519 §2): give a lifetime "
            f"between {-iat} and {MAX_EXP - iat} seconds from now"
        )
    body = default_claims(
        sub,
        profile=prof,
        iat=iat,
        exp=round(exp),
        token_type=token_type,
        jti=uuid.uuid4().hex,
    )
    for name, value in extra.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value

    header: dict[str, Any] = {"alg": algorithm, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    try:
        payload = json.dumps(body, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise UsageError(f"{_unencodable(body)} cannot be encoded as JSON: {exc}") from exc
    signing_input = (
        _jws.b64url_encode(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _jws.b64url_encode(payload.encode())
    )
    if algorithm == "none":
        return signing_input + "."
    key = key_material(key)
    _check_key(prof, algorithm, key)
    try:
        signature = _jws.sign(algorithm, signing_input.encode("ascii"), key)
    except _jws.KeyProblem as exc:
        raise UsageError(f"cannot sign: {exc}") from exc
    return signing_input + "." + _jws.b64url_encode(signature)
