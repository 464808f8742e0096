"""Token profiles: what the auth service issues, and accepts, in each environment (PROTOCOL.md §3).

A profile bundles issuer, audience, lifetimes and the environment variable that holds the signing
secret. ``local`` is a developer machine running the embedded reference service: it behaves like
``development`` but falls back to ``LOCAL_DEV_SECRET`` when no secret is configured, so the
mint → serve → connect loop works on a fresh clone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from netra_diag.errors import UsageError

__all__ = [
    "ACCESS_AUDIENCE",
    "ADMIN_AUDIENCE",
    "DEV_EXTRA_AUDIENCES",
    "ISSUER",
    "LOCAL_DEV_SECRET",
    "MIN_SECRET_LENGTH",
    "PROFILES",
    "PROFILE_ALIASES",
    "REQUIRED_CLAIMS",
    "SECRET_ENV",
    "SERVICE_AUDIENCE",
    "TOKEN_TYPES",
    "Profile",
    "SecretLookup",
    "find_secret",
    "get_profile",
    "named_secrets",
    "resolve_secret",
]

ISSUER: Final = "netra-auth-service"
ACCESS_AUDIENCE: Final = "netra-platform"
SERVICE_AUDIENCE: Final = "netra-services"
ADMIN_AUDIENCE: Final = "netra-admin"
DEV_EXTRA_AUDIENCES: Final = frozenset({"test", "localhost", "development"})
SECRET_ENV: Final = "JWT_SECRET_KEY"
# Staging and production secrets are at least this long (PROTOCOL.md §3).
MIN_SECRET_LENGTH: Final = 32
REQUIRED_CLAIMS: Final = ("sub", "iat", "exp", "iss", "jti")
TOKEN_TYPES: Final = ("access", "refresh", "service")

# The secret the embedded reference service and `netra-diag token mint --profile local` share when
# JWT_SECRET_KEY is unset. It is public by design: a token signed with it proves nothing anywhere
# but on this machine.
LOCAL_DEV_SECRET: Final = "netra-local-development-secret-not-for-prod"

_MIN = 60
_DAY = 86400
_STRICT_AUDIENCES = frozenset({ACCESS_AUDIENCE, SERVICE_AUDIENCE, ADMIN_AUDIENCE})


@dataclass(frozen=True)
class Profile:
    """What one environment's auth service issues and accepts.

    ``allowed_audiences`` is what verification accepts; ``audience`` is what minting writes for
    access and refresh tokens (service tokens get ``netra-services``). ``env_names`` are the
    values of an ``env`` claim that match this environment.
    """

    name: str
    issuer: str
    audience: str
    allowed_audiences: frozenset[str]
    access_ttl_s: int
    refresh_ttl_s: int
    secret_env: str
    deprecated_secret_envs: tuple[str, ...]
    requires_explicit: bool
    env_names: frozenset[str] = frozenset()
    min_secret_length: int = 0
    default_secret: str | None = None

    def ttl_for(self, token_type: str) -> int:
        """Default lifetime in seconds for a token of ``token_type``."""
        return self.refresh_ttl_s if token_type == "refresh" else self.access_ttl_s

    def audience_for(self, token_type: str) -> str:
        return SERVICE_AUDIENCE if token_type == "service" else self.audience

    @property
    def secret_envs(self) -> tuple[str, ...]:
        """Every variable read for the secret, in the order the service reads them."""
        return (self.secret_env, *self.deprecated_secret_envs)


def _profile(
    name: str,
    access_min: int,
    refresh_days: int,
    deprecated: tuple[str, ...],
    *,
    dev: bool,
    env_names: tuple[str, ...],
    explicit: bool = False,
    default_secret: str | None = None,
) -> Profile:
    return Profile(
        name=name,
        issuer=ISSUER,
        audience=ACCESS_AUDIENCE,
        allowed_audiences=_STRICT_AUDIENCES | (DEV_EXTRA_AUDIENCES if dev else frozenset()),
        access_ttl_s=access_min * _MIN,
        refresh_ttl_s=refresh_days * _DAY,
        secret_env=SECRET_ENV,
        deprecated_secret_envs=deprecated,
        requires_explicit=explicit,
        env_names=frozenset(env_names),
        min_secret_length=0 if dev else MIN_SECRET_LENGTH,
        default_secret=default_secret,
    )


# Lifetimes: access 15 min production, 30 staging, 120 development, 5 test; refresh 7/14/30/1 days.
# The service's dev mode also accepts aud test/localhost/development; the test environment runs
# with the development validator, so it gets the same relaxed audience set.
PROFILES: Final[Mapping[str, Profile]] = {
    p.name: p
    for p in (
        _profile(
            "local",
            120,
            30,
            ("JWT_SECRET_DEVELOPMENT",),
            dev=True,
            env_names=("local", "development", "dev"),
            default_secret=LOCAL_DEV_SECRET,
        ),
        _profile("test", 5, 1, ("JWT_SECRET_TEST",), dev=True, env_names=("test", "testing")),
        _profile(
            "development",
            120,
            30,
            ("JWT_SECRET_DEVELOPMENT",),
            dev=True,
            env_names=("development", "dev"),
        ),
        _profile("staging", 30, 14, ("JWT_SECRET_STAGING",), dev=False, env_names=("staging",)),
        _profile(
            "production",
            15,
            7,
            ("JWT_SECRET_PRODUCTION",),
            dev=False,
            env_names=("production", "prod"),
            explicit=True,
        ),
    )
}

PROFILE_ALIASES: Final[Mapping[str, str]] = {
    "dev": "development",
    "prod": "production",
    "stage": "staging",
    "stg": "staging",
    "testing": "test",
}


def get_profile(name: str | Profile) -> Profile:
    """The profile called ``name`` (case-insensitive; ``dev``/``prod``/``stg`` accepted)."""
    if isinstance(name, Profile):
        return name
    key = str(name).strip().lower()
    key = PROFILE_ALIASES.get(key, key)
    try:
        return PROFILES[key]
    except KeyError:
        valid = ", ".join(PROFILES)
        raise UsageError(f"unknown token profile {name!r}; valid profiles: {valid}") from None


@dataclass(frozen=True)
class SecretLookup:
    """Where a signing secret came from. ``value`` is the secret: never print it."""

    value: str
    source: str  # the environment variable name, or "built-in local development secret"
    deprecated: bool = False
    is_default: bool = False

    def __repr__(self) -> str:
        return f"SecretLookup(source={self.source!r}, length={len(self.value)})"


def find_secret(profile: Profile | str, environ: Mapping[str, str]) -> SecretLookup | None:
    """Look the secret up as the service does: ``JWT_SECRET_KEY`` first, then the deprecated
    per-environment names; for ``local`` fall back to ``LOCAL_DEV_SECRET``.

    ``JWT_SECRET`` is deliberately not read: the service never reads it, and test helpers that do
    are the "secret mismatch" of PROTOCOL.md §9.
    """
    prof = get_profile(profile)
    for index, var in enumerate(prof.secret_envs):
        value = environ.get(var)
        if value:
            return SecretLookup(value=value, source=var, deprecated=index > 0)
    if prof.default_secret is not None:
        return SecretLookup(
            value=prof.default_secret,
            source="built-in local development secret (LOCAL_DEV_SECRET)",
            is_default=True,
        )
    return None


def resolve_secret(profile: Profile | str, environ: Mapping[str, str]) -> str | None:
    """The secret from ``JWT_SECRET_KEY``, else the profile's deprecated names, else ``None``.

    Unlike :func:`find_secret` this never returns the built-in local secret: callers that want it
    use ``find_secret`` or fall back to ``LOCAL_DEV_SECRET`` themselves.
    """
    prof = get_profile(profile)
    for var in prof.secret_envs:
        value = environ.get(var)
        if value:
            return value
    return None


def named_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """Every signing secret set in ``environ``, by ``$NAME``: the service's JWT_SECRET_KEY, the
    test helpers' JWT_SECRET and the deprecated per-environment names. ``verify_token`` tries
    them (``other_secrets``) to name the one a token was signed with; the values are never shown.
    """
    names = dict.fromkeys(
        [SECRET_ENV, "JWT_SECRET"]
        + [name for prof in PROFILES.values() for name in prof.deprecated_secret_envs]
    )
    return {f"${name}": value for name in names if (value := environ.get(name, ""))}
