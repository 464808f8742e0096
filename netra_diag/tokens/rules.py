"""The service's token rules (PROTOCOL.md §3), each returning the failures it finds.

Times are judged against an injected ``now`` and ``leeway``, as PyJWT's
``_validate_exp(payload, now, leeway)`` does, so each failure can state the delta.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from netra_diag.tokens.failures import Failure, FailureCode
from netra_diag.tokens.inspection import as_epoch, shown_name
from netra_diag.tokens.profiles import REQUIRED_CLAIMS, Profile
from netra_diag.tokens.timefmt import format_delta, format_instant, format_pair

__all__ = [
    "SERVICE_MAX_AGE_S",
    "check_identity",
    "check_required",
    "check_times",
    "check_type",
    "outlives_max_age",
    "suggest_leeway",
]


def suggest_leeway(skew_s: float) -> int | None:
    """A round leeway that covers ``skew_s`` seconds of clock difference with ~10 % to spare;
    ``None`` past an hour, where no leeway is the answer: the times themselves are wrong."""
    if not math.isfinite(skew_s) or skew_s > 3600:
        return None
    step = 5 if skew_s < 60 else 30 if skew_s < 600 else 300
    return max(step, math.ceil(skew_s * 1.1 / step) * step)


def _leeway_hint(skew_s: float, what: str) -> str:
    """What to do about ``nbf``/``iat`` ahead of now. The service allows no clock skew (it
    verifies with no leeway, PROTOCOL.md §3): it refuses the token until then whatever
    ``--leeway`` says, so the fix is the minting machine's clock or a token minted again."""
    leeway = suggest_leeway(skew_s)
    if leeway is None:
        return (
            f"{what} is {format_delta(skew_s)} ahead of now: far more than clock skew, so the "
            "token was minted with a wrong time: mint it again"
        )
    return (
        f"the minting machine's clock is ahead by about {format_delta(skew_s)}? the service "
        "allows no clock skew and refuses the token until then: fix that machine's clock (NTP) "
        f"or mint it again; --leeway {leeway} only changes what verify accepts, not the service"
    )


def _expired_hint(ago_s: float, lifetime_s: float | None, profile: Profile) -> str:
    """What to do about an expired token: its own lifetime (a helper's short ttl, not the
    profile's, is often why), and, for one expired seconds ago, clock skew as the other cause."""
    usual = format_delta(profile.access_ttl_s)
    if lifetime_s is not None and lifetime_s <= 0:
        # (neither a run outliving it nor clock skew: it never was valid)
        return f"it was minted expired (exp {format_delta(-lifetime_s)} before iat): mint it again"
    if lifetime_s is None or round(lifetime_s) == round(profile.access_ttl_s):
        lived = f"{profile.name} access tokens live {usual}"
    else:
        lived = f"it lived {format_delta(lifetime_s)} (iat to exp; {profile.name} access tokens "
        lived += f"live {usual})"
    leeway = suggest_leeway(ago_s) if ago_s < 60 else None
    if leeway is None:
        return f"mint a fresh token; {lived}"
    return (
        f"expired only {format_delta(ago_s)} ago: the run outlived the token, or this clock is "
        f"ahead of the minting machine's (--leeway {leeway} allows that skew); mint a fresh "
        f"token; {lived}"
    )


def check_required(claims: Mapping[str, Any]) -> list[Failure]:
    failures: list[Failure] = []
    present = ", ".join(shown_name(k) for k in claims) or "none"
    for name in REQUIRED_CLAIMS:
        value = claims.get(name)
        if value is None or value == "":
            empty = "null" if value is None else "empty"
            why = "is missing" if name not in claims else f"is {empty}, as good as missing"
            failures.append(
                Failure(
                    FailureCode.MISSING_CLAIM,
                    f"required claim {name!r} {why} (present: {present})",
                    expected=name,
                    actual=None if name not in claims else repr(value),
                    hint=f"the service requires {', '.join(REQUIRED_CLAIMS)} (PROTOCOL.md §3)",
                )
            )
    sub = claims.get("sub")
    if sub not in (None, "") and not isinstance(sub, str):
        failures.append(
            Failure(
                FailureCode.MALFORMED,
                f"claim 'sub' must be a string (RFC 7519 §4.1.2), got {sub!r}",
                expected="string",
                actual=type(sub).__name__,
                hint="user ids travel as strings",
            )
        )
    for name in ("iat", "nbf", "exp"):
        value = claims.get(name)
        if value is not None and as_epoch(value) is None:
            failures.append(
                Failure(
                    FailureCode.MALFORMED,
                    f"claim {name!r} is {value!r}, not a NumericDate (epoch seconds, RFC 7519 §2)",
                    expected="integer epoch seconds",
                    # Typed: a string "1796668368" printed bare reads as the number it is not.
                    actual=f"{value!r} ({type(value).__name__})",
                    hint="encode times as integer seconds since 1970-01-01T00:00:00Z",
                )
            )
    return failures


SERVICE_MAX_AGE_S = 86400  # PROTOCOL.md §3: token age under 24 h from iat


def outlives_max_age(claims: Mapping[str, Any], now: float | None = None) -> str:
    """A warning for a token whose exp lies beyond the service's 24 h age limit (a nightly
    suite's "long-lived" token is refused a day in, whatever its exp); "" otherwise, and when
    at ``now`` it is already that old (refused as too_old, which is said as such)."""
    exp, iat = as_epoch(claims.get("exp")), as_epoch(claims.get("iat"))
    if exp is None or iat is None or exp - iat <= SERVICE_MAX_AGE_S:
        return ""
    if now is not None and now - iat > SERVICE_MAX_AGE_S:
        return ""
    if claims.get("token_type", claims.get("type", "access")) != "access":
        return ""  # a refresh token's days are its own: the age limit is the WebSocket's
    return (
        f"it lives {format_delta(exp - iat)}, but the service refuses a token issued more than "
        f"{format_delta(SERVICE_MAX_AGE_S)} ago whatever its exp (PROTOCOL.md §3): from "
        f"{format_instant(iat + SERVICE_MAX_AGE_S)} on it is rejected as too_old"
    )


def check_times(
    claims: Mapping[str, Any], now: float, leeway: float, max_age_s: float, profile: Profile
) -> list[Failure]:
    failures: list[Failure] = []
    exp, nbf, iat = (as_epoch(claims.get(n)) for n in ("exp", "nbf", "iat"))
    with_leeway = f", even with {format_delta(leeway)} leeway" if leeway else ""
    if exp is not None and now > exp + leeway:
        failures.append(
            Failure(
                FailureCode.EXPIRED,
                f"expired {format_delta(now - exp)} ago ({format_pair('exp', exp, now)})"
                + with_leeway,
                expected=f"exp at or after {format_instant(now - leeway)}",
                actual=format_instant(exp),
                hint=_expired_hint(now - exp, exp - iat if iat is not None else None, profile),
            )
        )
    if nbf is not None and now < nbf - leeway:
        failures.append(
            Failure(
                FailureCode.NOT_YET_VALID,
                f"not valid for another {format_delta(nbf - now)} "
                f"({format_pair('nbf', nbf, now)})" + with_leeway,
                expected=f"nbf at or before {format_instant(now + leeway)}",
                actual=format_instant(nbf),
                hint=_leeway_hint(nbf - now, "nbf"),
            )
        )
    if iat is not None and iat > now + leeway:
        skew = iat - now
        failures.append(
            Failure(
                FailureCode.ISSUED_IN_FUTURE,
                f"issued {format_delta(skew)} in the future ({format_pair('iat', iat, now)})"
                + with_leeway,
                expected=f"iat at or before {format_instant(now + leeway)}",
                actual=format_instant(iat),
                hint=_leeway_hint(skew, "iat"),
            )
        )
    # A --max-age other than the service's 24 h is the caller's rule, not the service's.
    accepts = (
        "the service accepts"
        if max_age_s == SERVICE_MAX_AGE_S
        else f"allowed here (the service allows {format_delta(SERVICE_MAX_AGE_S)})"
    )
    if iat is not None and now - iat > max_age_s + leeway:
        failures.append(
            Failure(
                FailureCode.TOO_OLD,
                f"issued {format_delta(now - iat)} ago, more than the {format_delta(max_age_s)} "
                f"{accepts} ({format_pair('iat', iat, now)})",
                expected=f"iat after {format_instant(now - max_age_s)}",
                actual=format_instant(iat),
                hint=f"tokens issued more than {format_delta(max_age_s)} ago are refused whatever "
                "their exp: mint a new one",
            )
        )
    return failures


_DRIFT_HINT = "the old test helper sets iss=netra-test, aud=netra-api (PROTOCOL.md §3 drift)"


def check_identity(
    claims: Mapping[str, Any],
    profile: Profile,
    audiences: Collection[str],
    expected_type: str | None,
    expected_env: str | None,
    expected_svc_id: str | None,
) -> list[Failure]:
    failures: list[Failure] = []
    iss = claims.get("iss")
    if iss is not None and iss != profile.issuer:
        failures.append(
            Failure(
                FailureCode.WRONG_ISSUER,
                f"iss is {iss!r}, expected {profile.issuer!r}",
                expected=profile.issuer,
                actual=iss,
                hint=_DRIFT_HINT if iss == "netra-test" else "the issuer must match exactly",
            )
        )
    aud = claims.get("aud")
    offered = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else [aud]
    allowed = sorted(audiences)
    if not any(isinstance(a, str) and a in audiences for a in offered):
        shown = "missing" if aud is None else repr(aud)
        if aud == "netra-api":
            hint = _DRIFT_HINT
        elif any(a in ("test", "localhost", "development") for a in offered):
            hint = "test/localhost/development audiences are accepted only outside staging/prod"
        else:
            hint = (
                "access and refresh tokens carry aud=netra-platform, service tokens netra-services"
            )
        failures.append(
            Failure(
                FailureCode.WRONG_AUDIENCE,
                f"aud is {shown}, expected one of {', '.join(allowed)} ({profile.name})",
                expected=allowed,
                actual=aud,
                hint=hint,
            )
        )
    if expected_type is not None:
        failures.extend(check_type(claims, expected_type))
    names = {expected_env} if expected_env is not None else set(profile.env_names)
    env = claims.get("env")
    if env is not None and names and str(env).lower() not in {n.lower() for n in names}:
        failures.append(
            Failure(
                FailureCode.ENV_MISMATCH,
                f"env is {env!r}, but this is {expected_env or profile.name}",
                expected=sorted(names),
                actual=env,
                hint="a token minted for one environment is refused by another",
            )
        )
    svc_id = claims.get("svc_id")
    if svc_id is not None and expected_svc_id is not None and svc_id != expected_svc_id:
        failures.append(
            Failure(
                FailureCode.ENV_MISMATCH,
                f"svc_id is {svc_id!r}, expected {expected_svc_id!r}",
                expected=expected_svc_id,
                actual=svc_id,
                hint="service tokens are bound to the service id that requested them",
            )
        )
    return failures


def check_type(claims: Mapping[str, Any], expected_type: str) -> list[Failure]:
    token_type, legacy = claims.get("token_type"), claims.get("type")
    if token_type is None and legacy is not None:
        return [
            Failure(
                FailureCode.WRONG_TOKEN_TYPE,
                f"token_type is missing (type={legacy!r} is set, but the service reads token_type)",
                expected=expected_type,
                actual=None,
                hint="a test helper sets 'type' but not 'token_type' (PROTOCOL.md §3 drift): "
                "set both",
            )
        ]
    if token_type != expected_type:
        shown = "missing" if token_type is None else repr(token_type)
        return [
            Failure(
                FailureCode.WRONG_TOKEN_TYPE,
                f"token_type is {shown}, expected {expected_type!r}",
                expected=expected_type,
                actual=token_type,
                hint="the WebSocket accepts access tokens only; refresh tokens go to /auth/refresh"
                if token_type == "refresh"
                else f"mint with token_type={expected_type!r} "
                f"(netra-diag token mint --type {expected_type})",
            )
        ]
    return []
