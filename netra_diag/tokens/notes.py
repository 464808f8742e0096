"""The notes ``inspect`` adds to a token's decoded parts (RFC 7515, RFC 7519, PROTOCOL.md §3): what
a reader without the key should still know about it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from netra_diag.tokens.profiles import PROFILES

__all__ = ["SIGNATURE_BYTES", "TIME_CLAIMS", "lifetime_note", "token_notes"]

TIME_CLAIMS = ("iat", "nbf", "exp")
# Signature sizes for the algorithms the service meets; a different size means a truncated paste.
SIGNATURE_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64, "ES256": 64, "ES384": 96}


def lifetime_note(lifetime: float) -> str:
    if not math.isfinite(lifetime):
        return ""
    matches = [
        f"{p.name} {kind}"
        for p in PROFILES.values()
        if p.name != "local"
        for kind, ttl in (("access", p.access_ttl_s), ("refresh", p.refresh_ttl_s))
        if ttl == round(lifetime)
    ]
    return f" = the {' / '.join(matches)} lifetime" if matches else ""


def token_notes(
    header: Mapping[str, Any] | None,
    claims: Mapping[str, Any] | None,
    signature: bytes | None,
    times: Mapping[str, float],
    now: float,
) -> list[str]:
    """What the decoded parts say beyond their values, judged at ``now``: an unsigned or cut
    token, time claims that are no NumericDate, test-helper drift, and every claim rule the
    service enforces whatever the key (``keyless``): ``inspect`` has no key, and an expired
    status line alone read the old helper's iss or a missing jti as fine."""
    notes: list[str] = []
    header = header or {}
    alg = header.get("alg")
    if isinstance(alg, str) and alg.lower() == "none":
        notes.append("alg is 'none': the token is unsigned and the service refuses it")
    typ = header.get("typ")
    if typ is not None and str(typ).upper() != "JWT":
        notes.append(f"header typ is {typ!r}, usually 'JWT'")
    if signature is not None and isinstance(alg, str):
        expected = SIGNATURE_BYTES.get(alg)
        if not signature and alg.lower() != "none":
            notes.append(f"signature part is empty although alg is {alg}: the token is unsigned")
        elif expected and len(signature) != expected:
            notes.append(
                f"signature is {len(signature)} bytes; {alg} makes {expected} "
                "(truncated or altered when copied?)"
            )
    if claims is not None:
        for name in TIME_CLAIMS:
            if name in claims and name not in times:
                notes.append(
                    f"claim {name} is {claims[name]!r}, not a NumericDate (RFC 7519 §2: epoch "
                    "seconds)"
                )
        if "token_type" not in claims and "type" in claims:
            notes.append(
                "type is set but token_type is not: the service reads token_type "
                "(test-helper drift)"
            )
    notes.extend(_refusals(header, claims, now))
    if claims is not None:
        from netra_diag.tokens.rules import outlives_max_age

        notes.extend(filter(None, [outlives_max_age(claims, now)]))
    return notes


# Said already by the status line (the times) or by a note above (alg none).
_SAID_ELSEWHERE = frozenset({"expired", "not_yet_valid", "issued_in_future", "alg_none"})


def _refusals(header: Mapping[str, Any], claims: Mapping[str, Any] | None, now: float) -> list[str]:
    if claims is None:
        return []
    # Imported here: keyless judges with the rules, which read claims with inspection's helpers.
    from netra_diag.tokens.keyless import keyless_refusals

    drift = "token_type" not in claims and "type" in claims
    found = []
    for failure in keyless_refusals(header, claims, now):
        code = str(failure.code)
        noted = (
            code in _SAID_ELSEWHERE
            or (code == "wrong_token_type" and drift)  # the drift note above
            or (code == "malformed" and "NumericDate" in failure.message)  # the time note above
        )
        if not noted:
            found.append(f"the service refuses it whatever the key: {failure.message}")
    return found
