"""Token panel: mint with profile, claims and TTL; inspect and verify a pasted token.

Composes ``netra_diag.tokens`` only. Tokens never reach a widget trait that is displayed (traits
are synced to the browser and can be saved with the notebook): a minted token is kept in the
Python attribute :attr:`TokenPanel.token` and shown as its fingerprint; a pasted token is read
from a password field and the field is cleared as soon as it was used. The signing secret is
looked up from the environment variable the panel names; only where it came from is shown.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from netra_diag.errors import NetraDiagError
from netra_diag.widgets.base import Panel, escape, html_table, pre

__all__ = ["TokenPanel"]

_PASTE_HINT = "paste a token"


class TokenPanel(Panel):
    """Mint / inspect / verify, with fingerprints instead of tokens.

    Drive it from code as a user would: set ``sub.value``, ``profile.value``, ``ttl.value``,
    ``claims.value`` (JSON), then ``mint_button.click()``; or put a token in ``pasted.value`` and
    ``inspect_button.click()`` / ``verify_button.click()``. Results: ``fingerprint.value``,
    ``status.value``, ``verdict.value`` (``valid`` / ``rejected`` / ``malformed``), and the
    explanation in ``explanation.value`` (HTML).
    """

    title = "Token lab"

    def __init__(
        self,
        *,
        sub: str = "u1",
        profile: str = "local",
        ttl: str = "",
        secret_env: str = "JWT_SECRET_KEY",
        allow_production: bool = False,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from netra_diag.tokens import PROFILES

        self._environ = environ
        self._clock = clock
        self.token: str | None = None  # the last minted token: use it in code, never print it
        self.last_inspection: Any = None
        self.last_verification: Any = None
        self.error = ""  # the form's last error (bad claims, TTL, profile, secret), plain text
        self._minting = False
        self.secret_warning = ""  # e.g. the named secret variable is unset: a fallback was used
        self.mint_warning = ""  # why the service would refuse the last token minted, if it would

        from netra_diag.tokens import get_profile

        try:
            # The CLI's aliases (prod, stg, dev) work here too: a report's -p profile prod.
            profile = get_profile(profile).name
        except NetraDiagError as exc:
            from netra_diag.errors import UsageError

            raise UsageError(f"profile: {exc}") from None
        self.sub = widgets.Text(value=sub, description="sub")
        self.profile = widgets.Dropdown(
            options=list(PROFILES), value=profile, description="profile"
        )
        self.ttl = widgets.Text(value=ttl, placeholder="profile default, or 15m", description="TTL")
        self.claims = widgets.Textarea(
            value="{}", placeholder='{"permissions": ["read"]}', description="extra claims"
        )
        self.secret_env = widgets.Text(value=secret_env, description="secret env")
        self.allow_production = widgets.Checkbox(
            value=bool(allow_production), description="allow production"
        )
        self.mint_button = widgets.Button(description="Mint", button_style="primary")
        # Taken out of the field as soon as it reaches the kernel (Enter, or leaving the field,
        # which clicking a button does): a value left in a widget is saved with the notebook's
        # widget state, whichever button is clicked next, and Password widgets are no exception.
        self.pasted = widgets.Password(
            placeholder=_PASTE_HINT, description="token", continuous_update=False
        )
        self._pasted: str | None = None
        self.pasted.observe(self._stash_pasted, names="value")
        self.inspect_button = widgets.Button(description="Inspect")
        self.verify_button = widgets.Button(description="Verify")
        self.fingerprint = widgets.Label(value="")
        self.status = widgets.Label(value="")
        self.verdict = widgets.Label(value="")
        self.secret_source = widgets.Label(value="")
        self.explanation = widgets.HTML(value="")

        self.mint_button.on_click(lambda _b: self.mint())
        self.inspect_button.on_click(lambda _b: self.inspect())
        self.verify_button.on_click(lambda _b: self.verify())
        super().__init__(
            children=[
                widgets.HTML("<b>Mint</b>"),
                widgets.HBox([self.sub, self.profile, self.ttl]),
                widgets.HBox([self.claims, self.secret_env, self.allow_production]),
                self.mint_button,
                widgets.HTML("<b>Inspect / verify</b> (the last minted token if none is pasted)"),
                widgets.HBox([self.pasted, self.inspect_button, self.verify_button]),
                widgets.HBox([widgets.Label("token:"), self.fingerprint, self.status]),
                widgets.HBox([widgets.Label("verdict:"), self.verdict]),
                # A line of its own: beside the verdict it read "verdict: valid secret from ...".
                self.secret_source,
                self.explanation,
            ]
        )

    # -- actions (what the buttons do) -----------------------------------------------------------

    def _env(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def _secret(self) -> str | None:
        from netra_diag.investigation.service import signing_secret

        self.secret_warning = ""
        try:
            found = signing_secret(self.profile.value, self.secret_env.value, self._env())
        except NetraDiagError as exc:
            self.secret_source.value = "no secret"
            self._show_error(str(exc))
            return None
        self.secret_warning = found.warning
        self.secret_source.value = f"secret from {found.source}" + (
            f" (warning: {found.warning})" if found.warning else ""
        )
        return found.value

    def _stash_pasted(self, change: Mapping[str, Any]) -> None:
        from netra_diag.redaction import fingerprint

        text = str(change["new"] or "").strip()
        if not text:
            return
        self._pasted = text
        self.pasted.value = ""  # the field never keeps it; its fingerprint says what is held
        self.pasted.placeholder = f"pasted {fingerprint(text)}: Inspect or Verify it"

    def _take_pasted(self) -> str | None:
        text, self._pasted = self._pasted, None
        self.pasted.value = ""
        self.pasted.placeholder = _PASTE_HINT
        return text or self.token

    def mint(self) -> str | None:
        """Mint a token from the form; returns it (also kept in ``self.token``)."""
        self._minting = True
        try:
            return self._mint()
        finally:
            self._minting = False

    def _mint(self) -> str | None:
        from netra_diag.tokens import inspect_token, mint_token, verify_token

        self.error = ""
        try:
            claims = json.loads(self.claims.value or "{}")
            if not isinstance(claims, dict):
                raise ValueError("extra claims must be a JSON object")
        except ValueError as exc:
            self._show_error(f"extra claims: {exc}")
            return None
        problem = self._form_problem()
        if problem:
            self._show_error(problem)
            return None
        key = self._secret()
        if key is None:
            return None
        now = self._clock()
        try:
            token = mint_token(
                self.sub.value.strip(),
                key=key,
                now=now,
                profile=self.profile.value,
                ttl=self.ttl.value.strip() or None,
                claims=claims,
                allow_production=self.allow_production.value,
            )
        except NetraDiagError as exc:
            self._show_error(str(exc))
            return None
        self.token = token
        # A drift token minted on purpose (iss=netra-test) or by a typo in the claims: either
        # way the panel says the service would refuse it, as `netra-diag token mint` does.
        check = verify_token(token, key, now=now, profile=self.profile.value)
        self.mint_warning = ""
        if not check.ok:
            codes = ", ".join(dict.fromkeys(str(f.code) for f in check.failures))
            self.mint_warning = (
                f"the {check.profile} service would reject this token ({codes}): "
                f"{check.failures[0].message}"
            )
        note = f"<p><i>warning: {escape(self.mint_warning)}</i></p>" if self.mint_warning else ""
        self._show_inspection(inspect_token(token, now=now), extra=note)
        self.verdict.value = "minted"
        return token

    def _form_problem(self) -> str:
        """What is wrong with the TTL or profile fields, named by field ("" if nothing)."""
        from netra_diag.tokens import get_profile, parse_ttl

        ttl = self.ttl.value.strip()
        if ttl:
            try:
                parse_ttl(ttl)
            except NetraDiagError as exc:
                return f"ttl: {exc}"
        if get_profile(self.profile.value).requires_explicit and not self.allow_production.value:
            return (
                f"profile: {self.profile.value} mints tokens the live service accepts; tick "
                "'allow production' to confirm (in a report: -p allow_production true)"
            )
        return ""

    def inspect(self) -> Any:
        """Inspect the pasted (or last minted) token without a key."""
        from netra_diag.tokens import inspect_token

        self.error = ""
        token = self._take_pasted()
        if not token:
            self._show_error("nothing to inspect: paste a token or mint one")
            return None
        inspection = inspect_token(token, now=self._clock())
        self._show_inspection(inspection)
        self.verdict.value = "malformed" if inspection.malformed else "not verified"
        return inspection

    def verify(self) -> Any:
        """Verify the pasted (or last minted) token against the profile and its secret."""
        from netra_diag.tokens import inspect_token, verify_token
        from netra_diag.tokens.paste import unwrap_paste
        from netra_diag.tokens.profiles import named_secrets

        self.error = ""
        token = self._take_pasted()
        if not token:
            self._show_error("nothing to verify: paste a token or mint one")
            return None
        key = self._secret()
        if key is None:
            return None
        now = self._clock()
        inspection = inspect_token(token, now=now)
        # What was pasted around the token (Bearer, a subprotocol entry or list, quotes) is
        # stripped as Inspect and the CLI do: verified raw, a good token read as malformed.
        verification = verify_token(
            unwrap_paste(token).token,
            key,
            now=now,
            profile=self.profile.value,
            other_secrets=named_secrets(self._env()),
        )
        self.last_verification = verification
        self._show_inspection(inspection, extra=pre(verification.explain()))
        self.verdict.value = "valid" if verification.ok else "rejected"
        return verification

    # -- display --------------------------------------------------------------------------------

    def raise_for_error(self) -> None:
        """Raise the form's last error (``error``) as a
        :class:`~netra_diag.errors.UsageError`: what a notebook does after ``mint()`` so a bad
        input stops the run with its own message instead of a later ``None``."""
        from netra_diag.errors import UsageError

        if self.error:
            raise UsageError(self.error)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.verdict.value = "error"
        note = ""
        if self._minting and self.token is not None:
            # The token row above still shows the last token minted, beside "verdict: error".
            note = (
                f"<br><i>nothing was minted: the token shown, {escape(self.fingerprint.value)}, "
                "is the last one minted, which Inspect and Verify still use</i>"
            )
        self.explanation.value = f'<span style="color:#b00">{escape(message)}</span>{note}'

    def _show_inspection(self, inspection: Any, extra: str = "") -> None:
        self.last_inspection = inspection
        self.fingerprint.value = inspection.fingerprint
        self.status.value = inspection.status
        facts = inspection.to_dict()
        rows = [
            {"claim": name, "value": json.dumps(value, default=str)}
            for name, value in (facts.get("claims") or {}).items()
        ]
        for name, when in (facts.get("times") or {}).items():
            rows.append({"claim": f"{name} (time)", "value": f"{when['utc']} ({when['relative']})"})
        problems = "".join(f"<li>{escape(p)}</li>" for p in facts.get("problems", ()))
        # Notes carry what the claims table cannot show: alg none, type without token_type, a
        # cut signature, a known-bad subprotocol list, what was stripped from the paste.
        notes = [f"stripped {facts['unwrapped']}"] if facts.get("unwrapped") else []
        notes += facts.get("notes", [])
        noted = "".join(f"<li><i>note:</i> {escape(n)}</li>" for n in notes)
        self.explanation.value = (
            (f"<ul>{problems}</ul>" if problems else "")
            + (f"<ul>{noted}</ul>" if noted else "")
            + html_table(rows, ("claim", "value"))
            + extra
        )

    def static_html(self) -> str:
        if not self.fingerprint.value:
            return "<p>No token minted or inspected yet.</p>"
        return (
            f"<p>token {escape(self.fingerprint.value)}: {escape(self.status.value)}; "
            f"verdict: {escape(self.verdict.value)}"
            + (f"; {escape(self.secret_source.value)}" if self.secret_source.value else "")
            + "</p>"
            f"{self.explanation.value}"
        )
