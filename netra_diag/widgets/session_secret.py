"""The live session panel's token controls: profile, the signing secret's variable, production.

What ``netra-diag probe`` takes as ``--profile`` and ``--secret-env NAME``, as widgets. The secret
is named, never typed: the field holds the NAME of an environment variable, and the panel shows
that variable's value as its fingerprint (``…#a1b2c3d4``) or ``unset``. Widget traits are
synced to the browser and saved with the notebook, so the value itself is held in Python only,
and only for as long as a connect needs it.

Nothing is judged here: which variable is read and what a profile falls back to is
:func:`netra_diag.investigation.signing_secret`'s rule; how long a staging or production secret
must be, and that production needs confirming, is :func:`netra_diag.tokens.mint_token`'s.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from netra_diag.widgets.base import escape

__all__ = ["SecretCheck", "SessionSecretControls", "check_secret"]

_PROBE_SUB = "secret-check"  # the subject of the token minted to learn whether minting works


@dataclass(frozen=True)
class SecretCheck:
    """Whether tokens can be minted for ``profile`` with the secret ``$secret_env`` names.

    ``shown`` is what the panel may show of the named variable: ``unset`` or its fingerprint.
    ``source`` says where the secret that signs comes from (another variable, the local
    fallback); ``problem`` why nothing can be minted ("" if it can); ``note`` a fallback said
    aloud. ``key`` is the secret itself, left out of ``repr``: never displayed.
    """

    profile: str
    secret_env: str
    shown: str
    source: str = ""
    problem: str = ""
    note: str = ""
    allow_production: bool = False
    key: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return not self.problem

    def token_source(self, user: str, clock: Callable[[], float] = time.time) -> Any:
        """A zero-argument factory minting a fresh token for ``user`` per call (per connect
        attempt), as ``Session.connect`` takes it."""
        from netra_diag.tokens import mint_token

        key, profile, allow = self.key, self.profile, self.allow_production
        return lambda: mint_token(
            user, key=key, now=clock(), profile=profile, allow_production=allow
        )


def check_secret(
    profile: str,
    secret_env: str,
    environ: Mapping[str, str],
    *,
    allow_production: bool = False,
    now: float | None = None,
) -> SecretCheck:
    """Look the secret up as a connect would, and mint one throwaway token with it, so that a
    secret that is unset, or too short for ``profile``, is said before anything connects."""
    from netra_diag.errors import NetraDiagError
    from netra_diag.investigation import signing_secret
    from netra_diag.redaction import fingerprint, scrub
    from netra_diag.tokens import get_profile, mint_token

    prof = get_profile(profile)
    name = secret_env.strip()
    value = environ.get(name, "") if name else ""
    facts: dict[str, Any] = {
        "profile": prof.name,
        "secret_env": name,
        "shown": fingerprint(value) if value else "unset",
        "allow_production": bool(allow_production),
    }
    try:
        found = signing_secret(prof.name, name, environ)
    except NetraDiagError as exc:
        return SecretCheck(**facts, problem=str(exc))
    try:
        # Confirmed here, so that a short secret is named even before production is ticked.
        mint_token(
            _PROBE_SUB,
            key=found.value,
            now=time.time() if now is None else now,
            profile=prof,
            allow_production=True,
        )
    except NetraDiagError as exc:
        # Our messages give the secret's length only; scrubbed all the same, as it is shown.
        said = scrub(str(exc), (found.value,))
        return SecretCheck(**facts, source=found.source, problem=f"{found.source}: {said}")
    if prof.requires_explicit and not allow_production:
        problem = (
            f"profile: {prof.name} mints tokens the live service accepts; tick "
            "'allow production' to confirm"
        )
        return SecretCheck(**facts, source=found.source, problem=problem)
    return SecretCheck(**facts, source=found.source, note=found.warning, key=found.value)


def _secret_line(check: SecretCheck) -> str:
    named = f"${check.secret_env}" if check.secret_env else "(no variable named)"
    return f"{named}: {check.shown}"


class SessionSecretControls(widgets.VBox):  # type: ignore[misc]
    """Profile dropdown, secret variable name, production checkbox; the named variable's
    fingerprint (``secret.value``) and what is wrong with it, or where signing falls back to
    (``secret_note.value``, HTML). Any change of the three re-checks at once."""

    def __init__(
        self,
        *,
        profile: str = "local",
        secret_env: str = "JWT_SECRET_KEY",
        allow_production: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from netra_diag.tokens import PROFILES, get_profile

        self._environ = environ
        self.last: SecretCheck | None = None
        self.profile = widgets.Dropdown(
            options=list(PROFILES), value=get_profile(profile).name, description="profile"
        )
        # Checked on Enter or on leaving the field: a half-typed name is not "unset" yet.
        self.secret_env = widgets.Text(
            value=secret_env,
            description="secret env",
            placeholder="NAME of the variable",
            continuous_update=False,
        )
        self.allow_production = widgets.Checkbox(
            value=bool(allow_production), description="allow production", indent=False
        )
        # HTML, not a Label: a Label typesets its whole element, its description with it.
        self.secret = widgets.HTML(value="", description="secret")
        # Shrinks and wraps beside the fingerprint: a long problem must not push past the panel.
        self.secret_note = widgets.HTML(value="", layout={"flex": "1 1 0%", "min_width": "0"})
        for control in (self.profile, self.secret_env, self.allow_production):
            control.observe(lambda _change: self.refresh(), names="value")
        super().__init__(
            children=[
                widgets.HBox([self.profile, self.secret_env, self.allow_production]),
                widgets.HBox([self.secret, self.secret_note]),
            ]
        )
        self.add_class("netra-session-secret")
        self.refresh()

    def form(self) -> tuple[str, str, bool]:
        """What a connection depends on, as the fields say it now."""
        return (self.profile.value, self.secret_env.value.strip(), self.allow_production.value)

    def refresh(self) -> SecretCheck:
        """Check the fields against the environment as it is now, and show the outcome."""
        env = os.environ if self._environ is None else self._environ
        check = check_secret(
            self.profile.value,
            self.secret_env.value,
            env,
            allow_production=self.allow_production.value,
        )
        self.last = check
        self.secret.value = escape(_secret_line(check))
        if check.problem:
            self.secret_note.value = f'<span style="color:#b00">{escape(check.problem)}</span>'
        elif check.note:
            self.secret_note.value = f'<span style="color:#a60">{escape(check.note)}</span>'
        elif check.source != f"${check.secret_env}":
            self.secret_note.value = f"<span>signing with {escape(check.source)}</span>"
        else:
            self.secret_note.value = ""
        return check

    def describe(self) -> str:
        """One plain-text line: profile, the named variable's fingerprint, what is wrong."""
        check = self.last or self.refresh()
        words = f"profile {check.profile}; secret {_secret_line(check)}"
        said = check.problem or check.note
        return words + (f" ({said})" if said else "")
