"""Verify a token as the service does, and explain every rule it breaks (PROTOCOL.md §3).

PyJWT checks the signature (through its algorithm objects, see ``_jws``); the claim rules in
``rules`` are evaluated against an injected ``now`` so each failure can say expected vs actual and
by how much. All failures are collected, not only the first: a token with the wrong issuer *and*
an expired ``exp`` needs both fixes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netra_diag.errors import TokenRejected, UsageError
from netra_diag.redaction import fingerprint, scrub_obj
from netra_diag.tokens.arguments import algorithm_names, key_material, token_text
from netra_diag.tokens.failures import Failure, FailureCode, plain
from netra_diag.tokens.inspection import as_epoch, parse_compact, unwrap_token
from netra_diag.tokens.placeholders import placeholder_problem
from netra_diag.tokens.profiles import Profile, get_profile
from netra_diag.tokens.rules import check_identity, check_required, check_times
from netra_diag.tokens.signature import check_secret_length, check_signature
from netra_diag.tokens.timefmt import format_delta

__all__ = ["Failure", "FailureCode", "Verification", "verify_token"]


@dataclass(frozen=True)
class Verification:
    """The verdict. ``claims`` are the decoded claims even when ``ok`` is false (for explaining):
    trust them only when ``ok``."""

    ok: bool
    claims: Mapping[str, Any]
    failures: tuple[Failure, ...]
    fingerprint: str
    header: Mapping[str, Any] = field(default_factory=dict)
    profile: str = ""
    now: float = 0.0
    leeway: float = 0.0

    @property
    def codes(self) -> frozenset[FailureCode]:
        return frozenset(f.code for f in self.failures)

    def explain(self) -> str:
        """Multi-line account: the verdict, then every failure with expected, actual and a hint."""
        if self.ok:
            sub = self.claims.get("sub")
            exp = as_epoch(self.claims.get("exp"))
            left = ""
            if exp is not None and exp > self.now:
                left = f", expires in {format_delta(exp - self.now)}"
            elif exp is not None:  # accepted only thanks to the leeway
                left = (
                    f", expired {format_delta(self.now - exp)} ago, accepted within the "
                    f"{format_delta(self.leeway)} leeway"
                )
            # nbf/iat ahead of now pass only thanks to the leeway too: a clock to fix, said.
            for name, what in (
                ("nbf", "not valid for another"),
                ("iat", "issued in the future by"),
            ):
                moment = as_epoch(self.claims.get(name))
                if moment is not None and moment > self.now:
                    left += (
                        f", {what} {format_delta(moment - self.now)} ({name}), accepted within "
                        f"the {format_delta(self.leeway)} leeway"
                    )
            return f"token {self.fingerprint} is valid for {self.profile}: sub={sub!r}{left}"
        count = len(self.failures)
        lines = [
            f"token {self.fingerprint} REJECTED for {self.profile}: "
            f"{count} problem{'s' if count != 1 else ''}"
        ]
        for number, failure in enumerate(self.failures, 1):
            lines.append(f"  {number}. [{failure.code}] {failure.message}")
            if failure.expected is not None or failure.actual is not None:
                expected, actual = _printable(failure.expected), _printable(failure.actual)
                lines.append(f"     expected: {expected}   actual: {actual}")
            if failure.hint:
                lines.append(f"     hint: {failure.hint}")
        return "\n".join(lines)

    def raise_for_failures(self) -> None:
        """Raise ``TokenRejected`` carrying every failure; do nothing when ``ok``."""
        if not self.ok:
            raise TokenRejected(self.failures, self.fingerprint)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "fingerprint": self.fingerprint,
            "profile": self.profile,
            "now": self.now,
            "header": plain(scrub_obj(dict(self.header))),
            "claims": plain(scrub_obj(dict(self.claims))),
            "failures": [f.to_dict() for f in self.failures],
        }


def _printable(value: Any) -> Any:
    """``plain(value)``, JSON-quoted when its text would hold a newline or a terminal escape:
    the values come from the token, which anyone can write."""
    shown = plain(value)
    return shown if str(shown).isprintable() else json.dumps(shown, ensure_ascii=True)


def verify_token(
    token: str | bytes,
    key: str | bytes,
    *,
    now: float,
    profile: str | Profile = "local",
    algorithms: str | Sequence[str] = ("HS256",),
    leeway: float = 0.0,
    expected_type: str | None = "access",
    max_age_s: float = 86400,
    audiences: Collection[str] | None = None,
    expected_env: str | None = None,
    expected_svc_id: str | None = None,
    other_secrets: Mapping[str, str | bytes] | None = None,
) -> Verification:
    """Check ``token`` with ``key`` the way the ``profile``'s service does.

    ``token`` is text or bytes (decoded); ``key`` the HMAC secret or a PEM key (str or bytes);
    ``algorithms`` one name (``"HS256"``) or several.
    Never raises on a bad token; ``UsageError`` for arguments of the wrong type (a ``None`` key, a
    token that is neither text nor bytes), an unknown profile or a negative leeway.
    Call ``.raise_for_failures()`` on the result to raise ``TokenRejected``.

    ``audiences`` defaults to the profile's allowed set; ``expected_env`` to the profile's
    environment names; ``expected_type=None`` skips the token-type rule.
    ``other_secrets`` (name such as ``"$JWT_SECRET"`` → secret) are tried when an HMAC signature
    does not verify with ``key``, so the failure names the one the token was signed with.
    """
    prof = get_profile(profile)
    if not (math.isfinite(leeway) and leeway >= 0):
        raise UsageError(f"leeway must be a finite number of seconds >= 0, got {leeway!r}")
    allowed_aud = frozenset(audiences) if audiences is not None else prof.allowed_audiences
    token = token_text(token)
    key = key_material(key)
    algorithms = algorithm_names(algorithms)
    parsed = parse_compact(token)
    print_as = fingerprint(token) if token else "(empty)"
    if parsed.problems:
        unwrapped, what = unwrap_token(token)
        hint = (
            f"the input has {what} around it: pass the token alone"
            if what and not parse_compact(unwrapped).problems
            # (a stand-in was never a token: nothing was lost in the copy)
            else "look at the step that mints or reads the token (its variable, fixture or "
            "helper): no token reached the request"
            if placeholder_problem(token) or not token.strip()
            else "check the token was copied whole (netra-diag token inspect shows each part)"
        )
        failures = tuple(
            Failure(FailureCode.MALFORMED, problem, hint=hint) for problem in parsed.problems
        )
        return Verification(
            ok=False,
            claims=dict(parsed.claims or {}),
            failures=failures,
            fingerprint=print_as,
            header=dict(parsed.header or {}),
            profile=prof.name,
            now=now,
        )
    header, claims = parsed.header or {}, parsed.claims or {}
    failures_list = check_signature(
        header.get("alg"),
        algorithms,
        parsed.signing_input,
        parsed.signature or b"",
        key,
        other_secrets,
    )
    if not failures_list:
        failures_list += check_secret_length(header.get("alg"), key, prof)
    failures_list += check_required(claims)
    failures_list += check_times(claims, now, leeway, max_age_s, prof)
    failures_list += check_identity(
        claims, prof, allowed_aud, expected_type, expected_env, expected_svc_id
    )
    return Verification(
        ok=not failures_list,
        claims=claims,
        failures=tuple(failures_list),
        fingerprint=print_as,
        header=header,
        profile=prof.name,
        now=now,
        leeway=leeway,
    )
