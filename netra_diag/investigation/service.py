"""Where the investigation's service and tokens come from.

:func:`ensure_service` gives a URL to talk to (the one given, ``$NETRA_URL`` as ``netra-diag lab``
exports it, or a new embedded reference service); :func:`token_factory` mints a fresh token per
call with the secret from the environment variable a notebook parameter names.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ServiceRef",
    "SigningSecret",
    "ensure_service",
    "secret_for",
    "signing_secret",
    "token_factory",
]


@dataclass
class ServiceRef:
    """A service to talk to: ``url``, and ``stop()`` for an embedded one we started."""

    url: str
    embedded: Any = None  # the ThreadedService when we started it

    @property
    def fault_log(self) -> list[Any]:
        return list(self.embedded.handle.fault_log) if self.embedded is not None else []

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


@dataclass(frozen=True)
class SigningSecret:
    """A signing secret and where it came from; ``warning`` says when it is not from the
    variable that was named. The value is left out of ``repr`` (never displayed)."""

    value: str = field(repr=False)
    source: str
    warning: str = ""


def signing_secret(profile: str, secret_env: str, environ: Mapping[str, str]) -> SigningSecret:
    """The signing secret for ``profile``: ``$secret_env`` when it is set, else the profile's
    lookup (``JWT_SECRET_KEY``, the deprecated names, the local development secret).

    A ``secret_env`` naming a variable that is not set never falls back silently: a profile
    that needs a real secret raises :class:`~netra_diag.errors.UsageError` naming
    ``$secret_env``; the local profile signs with its fallback and says so in ``warning``.
    The profile's own variable (``JWT_SECRET_KEY``, the default) falls back as the service does.
    """
    from netra_diag.errors import UsageError
    from netra_diag.tokens import find_secret, get_profile

    prof = get_profile(profile)
    name = secret_env.strip()
    if name and environ.get(name):
        return SigningSecret(environ[name], f"${name}")
    lookup = find_secret(prof, environ)
    custom = bool(name) and name not in prof.secret_envs
    if lookup is None:
        wanted = name or prof.secret_env
        raise UsageError(
            f"secret_env: ${wanted} is not set, and profile {prof.name} has no signing secret "
            f"without it: export {wanted}=... (the secret itself never goes in a parameter)"
        )
    source = lookup.source if lookup.is_default else f"${lookup.source}"
    if custom and prof.default_secret is None:
        raise UsageError(
            f"secret_env: ${name} is not set; profile {prof.name} needs a signing secret, so "
            f"it does not fall back to {source}: export {name}, or pass -p secret_env "
            f"{lookup.source}"
        )
    if custom:
        return SigningSecret(lookup.value, source, f"${name} is not set: signing with {source}")
    return SigningSecret(lookup.value, source)


def secret_for(profile: str, secret_env: str, environ: Mapping[str, str]) -> str:
    """:func:`signing_secret`'s value."""
    return signing_secret(profile, secret_env, environ).value


def ensure_service(
    url: str = "",
    *,
    faults: str = "",
    time_scale: float = 1.0,
    auth: str = "strict",
    seed: int = 0,
    secret_env: str = "JWT_SECRET_KEY",
    fault_log_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ServiceRef:
    """``url`` if given, else ``$NETRA_URL`` (set by ``netra-diag lab``), else a new embedded
    reference service in a background thread (``stop()`` it when done)."""
    from netra_diag.emulator import AuthMode, EmulatorConfig, FaultPlan, TimingProfile
    from netra_diag.errors import UsageError

    env = os.environ if environ is None else environ
    chosen = url or env.get("NETRA_URL", "")
    if chosen:
        if not chosen.lower().startswith(("ws://", "wss://")):
            where = "url" if url else "$NETRA_URL"
            raise UsageError(f"{where}: must start with ws:// or wss://, got {chosen!r}")
        return ServiceRef(chosen)
    config = EmulatorConfig(
        auth=AuthMode(auth),
        secret=secret_for("local", secret_env, env),
        faults=FaultPlan.parse(faults),
        timing=TimingProfile(time_scale=time_scale),
        seed=seed,
        fault_log_path=fault_log_path,
    )
    return _started(config)


def _started(config: Any) -> ServiceRef:
    from netra_diag.emulator import start_in_thread

    service = start_in_thread(config)
    return ServiceRef(service.url, service)


def token_factory(
    *,
    profile: str = "local",
    secret_env: str = "JWT_SECRET_KEY",
    ttl: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    """``token_for(user_id) -> token``, minting a fresh token per call with the secret from
    ``$secret_env`` (or the profile's own lookup); for ``live.fanout`` and ``Session.connect``."""
    from netra_diag.tokens import mint_token

    key = secret_for(profile, secret_env, os.environ if environ is None else environ)

    def token_for(user_id: str) -> str:
        return mint_token(user_id, key=key, now=time.time(), profile=profile, ttl=ttl)

    return token_for
