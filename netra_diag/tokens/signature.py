"""The signature rules (RFC 7515 §5.2, PROTOCOL.md §3): algorithm, key, signature, and which of
the secrets at hand a token was signed with when it was not the one given.

The last is PROTOCOL.md §9's category 2: the service reads ``JWT_SECRET_KEY``, some test helpers
sign with ``JWT_SECRET``. "Wrong secret" alone leaves the engineer guessing which; trying the
other secrets they have (by name, never shown) says it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from netra_diag.tokens import _jws
from netra_diag.tokens.failures import Failure, FailureCode
from netra_diag.tokens.notes import SIGNATURE_BYTES
from netra_diag.tokens.profiles import LOCAL_DEV_SECRET, Profile

__all__ = ["check_secret_length", "check_signature"]

_LOCAL_NAME = "the built-in local development secret (LOCAL_DEV_SECRET)"


def check_secret_length(alg: Any, key: str | bytes, prof: Profile) -> list[Failure]:
    """A profile whose service refuses short secrets (PROTOCOL.md §3: staging and production
    take 32 characters or more): a token that verifies with a shorter key was not signed with
    that service's secret, whatever the signature says."""
    if alg not in _jws.HMAC_ALGORITHMS or not prof.min_secret_length:
        return []
    if len(key) >= prof.min_secret_length:
        return []
    return [
        Failure(
            FailureCode.UNSUPPORTED_KEY,
            f"{prof.name} secrets are at least {prof.min_secret_length} characters; the key "
            f"given has {len(key)}, so it cannot be the {prof.name} service's secret",
            expected=f">= {prof.min_secret_length} characters",
            actual=f"{len(key)} characters",
            hint="verify with the secret the service reads (JWT_SECRET_KEY), or with the "
            "profile the key belongs to (--profile local or test)",
        )
    ]


def _alg_hint(alg: Any, allowed: Sequence[str]) -> str:
    """What to do about a token whose algorithm is not the one the key given is for."""
    if alg in _jws.HMAC_ALGORITHMS and not any(a in _jws.HMAC_ALGORITHMS for a in allowed):
        return (
            f"the token is {alg}, signed with a shared secret: verify it with the secret "
            "(JWT_SECRET_KEY, --secret-env NAME, or --key-file holding the secret), not a PEM key"
        )
    if isinstance(alg, str) and alg in _jws.HMAC_ALGORITHMS:
        return (
            f"the service signs HS256: mint the token with HS256 (verify --alg {alg} checks its "
            "signature, not whether the service takes it)"
        )
    if isinstance(alg, str) and _jws.get_algorithm(alg) is not None:
        return (
            f"the token is {alg}, signed with a private key, and the service signs HS256 with "
            "JWT_SECRET_KEY: it was issued elsewhere, or verify it with --key-file PUBLIC.pem"
        )
    return f"{alg!r} is no algorithm the service knows: the header was altered or mis-built"


def _signature_size_failure(alg: str, signature: bytes) -> list[Failure]:
    expected = SIGNATURE_BYTES.get(alg)
    if expected is None or len(signature) == expected:
        return []
    if not signature:
        message = f"the signature part is empty although alg is {alg}: the token is unsigned"
        hint = f"sign the token ({alg} with the service's secret); an unsigned token is refused"
    else:
        message = (
            f"signature is {len(signature)} bytes, but {alg} makes {expected}: the token was cut "
            "short (or had characters added) when copied, so no key can verify it"
        )
        hint = "copy the whole token again; `netra-diag token inspect` shows each part"
    return [
        Failure(
            FailureCode.MALFORMED,
            message,
            expected=f"{expected} bytes",
            actual=f"{len(signature)} bytes",
            hint=hint,
        )
    ]


# A secret read from a file or a CRLF .env keeps its line end on one side and not the other:
# the same secret to the eye, a different one to HMAC.
_STRIPPED = "the secret given without its leading/trailing whitespace"
_WITH_NEWLINE = "the secret given plus a trailing newline"
_WITH_CRLF = "the secret given plus a trailing CR LF"


def _whitespace_variants(key: str | bytes) -> dict[str, str | bytes]:
    if not isinstance(key, str):
        return {}
    variants: dict[str, str | bytes] = {_WITH_NEWLINE: key + "\n", _WITH_CRLF: key + "\r\n"}
    if key.strip() != key:
        variants = {_STRIPPED: key.strip()}
    return variants


def _signed_with(
    alg: str,
    signing_input: bytes,
    signature: bytes,
    key: str | bytes,
    other_secrets: Mapping[str, str | bytes],
) -> str | None:
    """The name of the secret, among ``other_secrets`` and the built-in local one, that the
    token verifies with (``None`` when none does)."""
    candidates = {**other_secrets, _LOCAL_NAME: LOCAL_DEV_SECRET, **_whitespace_variants(key)}
    for name, secret in candidates.items():
        if not secret or secret == key:
            continue
        try:
            if _jws.verify(alg, signing_input, signature, secret):
                return name
        except _jws.KeyProblem:  # an unusable candidate says nothing about the token
            continue
    return None


def _signer_hint(signer: str) -> str:
    if signer == _STRIPPED:
        return (
            "the secret given has whitespace around it (a line end from a file or a CRLF .env?) "
            "that the signer's has not: strip it where the secret is read"
        )
    if signer in (_WITH_NEWLINE, _WITH_CRLF):
        return (
            "the signer's secret ends in a line end that the secret given has not: it read the "
            "secret from a file without stripping it"
        )
    if signer == "$JWT_SECRET_KEY":
        return (
            "the service reads JWT_SECRET_KEY, so the token carries the service's signature: "
            "it is the secret given that is not the service's (drop --secret-env / --key-file)"
        )
    if signer == "$JWT_SECRET":
        return (
            "the token was signed with JWT_SECRET, which test helpers read; the service reads "
            "JWT_SECRET_KEY and refuses it (PROTOCOL.md §3, §9): give both variables one value, "
            "or make the helper read JWT_SECRET_KEY"
        )
    return (
        f"the token was signed with {signer}, not the secret given: signer and service must "
        "read one secret (the service reads JWT_SECRET_KEY first, then the deprecated names)"
    )


def _bad_hmac_signature(
    alg: str, key: str | bytes, signer: str | None, tried: list[str]
) -> Failure:
    given = f"the {alg} secret given ({len(key)} characters)"
    if signer == _LOCAL_NAME:
        message = f"signature does not verify with {given}; it was signed with {_LOCAL_NAME}"
        hint = f"it was signed with {_LOCAL_NAME}: mint it with the secret this service uses"
    elif signer is not None:
        message = f"signature does not verify with {given}; it verifies with {signer}"
        hint = _signer_hint(signer)
    else:
        message = f"signature does not verify with {given}: wrong secret, or the token was altered"
        checked = f" (it does not verify with {', '.join(tried)} either)" if tried else ""
        hint = (
            "the service reads JWT_SECRET_KEY; some test helpers sign with JWT_SECRET instead "
            f"(PROTOCOL.md §3){checked}: compare them with `netra-diag doctor`"
        )
    return Failure(
        FailureCode.BAD_SIGNATURE,
        message,
        expected="signature made with the given secret",
        actual=f"signature made with {signer}" if signer else "made with another key, or altered",
        hint=hint,
    )


def check_signature(
    alg: Any,
    algorithms: Sequence[str],
    signing_input: bytes,
    signature: bytes,
    key: str | bytes,
    other_secrets: Mapping[str, str | bytes] | None = None,
) -> list[Failure]:
    """The algorithm is allowed, the key fits it, and the signature verifies with it.

    ``other_secrets`` (name → secret) are tried when an HMAC signature does not verify, so the
    failure can name the one it was signed with; only names are ever shown.
    """
    allowed = [a for a in algorithms if a.lower() != "none"]
    if isinstance(alg, str) and alg.lower() == "none":
        return [
            Failure(
                FailureCode.ALG_NONE,
                "alg is 'none' (an unsigned token); the service refuses it whatever the claims",
                expected=allowed,
                actual=alg,
                hint="sign the token (HS256 with JWT_SECRET_KEY); never accept alg none",
            )
        ]
    if alg not in allowed:
        verb = "is" if len(allowed) == 1 else "are"
        return [
            Failure(
                FailureCode.ALG_MISMATCH,
                f"alg is {alg!r}, but only {', '.join(allowed) or 'nothing'} {verb} accepted here",
                expected=allowed,
                actual=alg,
                hint=_alg_hint(alg, allowed),
            )
        ]
    cut = _signature_size_failure(alg, signature)
    if cut:
        # No key can verify a signature of the wrong size: blaming the secret (JWT_SECRET vs
        # JWT_SECRET_KEY) would send the reader after the wrong problem.
        return cut
    try:
        valid = _jws.verify(alg, signing_input, signature, key)
    except _jws.KeyProblem as exc:
        return [
            Failure(
                FailureCode.UNSUPPORTED_KEY,
                f"the key given cannot verify {alg}: {exc}",
                expected=f"a key for {alg}",
                actual=f"{type(key).__name__} of length {len(key)}",
                hint="HS* takes the shared secret; RS*/ES* take a PEM public (or private) key",
            )
        ]
    if valid:
        return []
    if alg in _jws.HMAC_ALGORITHMS:
        others = dict(other_secrets or {})
        signer = _signed_with(alg, signing_input, signature, key, others)
        tried = [name for name, secret in others.items() if secret and secret != key]
        return [_bad_hmac_signature(alg, key, signer, tried)]
    return [
        Failure(
            FailureCode.BAD_SIGNATURE,
            f"signature does not verify with the {alg} key given: signed with another private "
            "key, or the token was altered",
            expected="signature made with the given key",
            actual="signature made with another key, or altered content",
            hint="the token was signed by a different private key than this public key's",
        )
    ]
