"""The live session panel's token controls, headless: the profile and the NAME of the variable
holding the signing secret are chosen in the panel, as ``netra-diag probe --profile --secret-env``
chooses them; the panel shows the variable as ``unset`` or as its fingerprint, says when the secret
is too short for staging or production, and signs each connect with what the form says now.

Sessions are opened against the real emulator on a loopback port 0 (``live_kit``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from netra_diag.errors import UsageError
from netra_diag.redaction import JWT_PATTERN, fingerprint
from netra_diag.tokens import PROFILES
from netra_diag.widgets import LiveSessionPanel

# tests/live is not a package: its helpers are found by their folder, as pytest finds them there.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from live_kit import emulator

# Not JWT-shaped: test secrets, long enough for staging (32+) and one too short for it.
STAGING = "widget-test-staging-secret-0123456789abcdefgh"
SHORT = "short-secret-16c"
ENV = {"NETRA_TEST_STAGING_KEY": STAGING, "NETRA_TEST_SHORT_KEY": SHORT}


def _saved_widget_state(panel: Any) -> str:
    """What "save widget state" writes into the notebook for this panel's models."""
    from ipywidgets.embed import dependency_state

    return json.dumps(dependency_state([panel]), ensure_ascii=False)


def _shown(panel: LiveSessionPanel) -> str:
    """Everything the panel shows or saves: widget state and the static view of a report."""
    bundle = panel._repr_mimebundle_() or {}
    return _saved_widget_state(panel) + bundle.get("text/html", "") + panel.describe()


def test_the_panel_offers_every_profile_and_shows_the_secret_as_its_fingerprint() -> None:
    # Before: the panel had no profile or secret field; the constructor's profile and secret_env
    # were fixed for good and unseen.
    panel = LiveSessionPanel(
        url="ws://127.0.0.1:9/ws", profile="stg", secret_env="NETRA_TEST_STAGING_KEY", environ=ENV
    )
    assert list(panel.profile.options) == list(PROFILES)
    assert {"development", "staging", "production"} <= set(panel.profile.options)
    assert panel.profile.value == "staging"  # the alias, as the CLI takes it
    assert panel.secret_env.value == "NETRA_TEST_STAGING_KEY"
    assert panel.secret.value == f"$NETRA_TEST_STAGING_KEY: {fingerprint(STAGING)}"
    assert panel.secret_note.value == ""
    assert STAGING not in _shown(panel)
    assert fingerprint(STAGING) in _shown(panel)  # the report says which secret signed


def test_an_unset_variable_is_said_before_connecting() -> None:
    panel = LiveSessionPanel(
        url="ws://127.0.0.1:9/ws", profile="staging", secret_env="NETRA_TEST_UNSET", environ=ENV
    )
    assert panel.secret.value == "$NETRA_TEST_UNSET: unset"
    assert "$NETRA_TEST_UNSET is not set" in panel.secret_note.value
    assert "color:#b00" in panel.secret_note.value
    # The local profile signs with its fallback instead, and says so (not as an error).
    panel.profile.value = "local"
    assert panel.secret.value == "$NETRA_TEST_UNSET: unset"
    assert "signing with built-in local development secret" in panel.secret_note.value
    assert "color:#b00" not in panel.secret_note.value
    # Naming a variable that is set shows its fingerprint at once.
    panel.secret_env.value = "NETRA_TEST_STAGING_KEY"
    assert panel.secret.value.endswith(fingerprint(STAGING))
    assert panel.secret_note.value == ""


def test_a_secret_too_short_for_staging_or_production_is_said() -> None:
    panel = LiveSessionPanel(
        url="ws://127.0.0.1:9/ws",
        profile="development",
        secret_env="NETRA_TEST_SHORT_KEY",
        environ=ENV,
    )
    assert panel.secret_note.value == ""  # development takes any length
    for profile in ("staging", "production"):
        panel.profile.value = profile
        note = panel.secret_note.value
        assert "$NETRA_TEST_SHORT_KEY" in note, note
        assert f"{profile} secrets are at least 32 characters" in note, note
        assert f"has {len(SHORT)}" in note, note
    assert SHORT not in _shown(panel)


def test_production_is_confirmed_in_the_panel() -> None:
    panel = LiveSessionPanel(
        url="ws://127.0.0.1:9/ws",
        profile="production",
        secret_env="NETRA_TEST_STAGING_KEY",
        environ=ENV,
    )
    assert "tick &#x27;allow production&#x27;" in panel.secret_note.value
    panel.allow_production.value = True
    assert panel.secret_note.value == ""


async def test_a_session_signs_with_the_profile_and_secret_the_form_names(
    timeout_factor: float, tmp_path: Path
) -> None:
    # Before: every session was signed with the constructor's profile and secret: nothing in the
    # panel could choose a staging secret, so a staging service could only refuse the panel.
    with emulator(profile="staging", secret=STAGING) as service:
        panel = LiveSessionPanel(
            url=service.url,
            sub="stg-user",
            profile="staging",
            secret_env="NETRA_TEST_UNSET",
            timeout=10 * timeout_factor,
            record=str(tmp_path / "run.jsonl"),
            environ=ENV,
        )
        with pytest.raises(UsageError, match=r"\$NETRA_TEST_UNSET is not set"):
            await panel.run()  # from a cell: the caller's mistake is raised, and shown
        assert panel.state.value == "failed" and panel.session is None
        assert "$NETRA_TEST_UNSET is not set" in panel.error_html.value

        panel.secret_env.value = "NETRA_TEST_SHORT_KEY"
        with pytest.raises(UsageError, match="at least 32 characters"):
            await panel.run()
        assert panel.session is None, "a short secret must not reach the service"
        assert "staging secrets are at least 32 characters" in panel.error_html.value

        panel.secret_env.value = "NETRA_TEST_STAGING_KEY"
        record = await panel.run(f"does {STAGING} leak?")  # a message quoting the secret
        assert record is not None and record.ok, panel.describe()
        cassette = (tmp_path / "run.jsonl").read_text()
        assert "does " in cassette and STAGING not in cassette
        assert panel.auth.value.startswith("validated"), panel.auth.value
        assert panel.session.handshake.server_user_id == "stg-user"
        first = panel.session

        # Another profile is used by the next run: a new session, not the open one.
        panel.profile.value = "development"
        assert await panel.run() is not None
        assert panel.session is not first and not first.is_open
        await panel.stop()

        shown = _shown(panel) + panel.event_table.value + panel.close_html.value
        assert STAGING not in shown and SHORT not in shown
        assert not JWT_PATTERN.search(shown)
