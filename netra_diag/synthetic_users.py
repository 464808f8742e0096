"""The user ids permissive auth hands out instead of the token's subject (PROTOCOL.md §2).

DEMO mode lets everyone in as the shared ``demo-user-001``, RELAXED as ``relaxed_<n>``, EMERGENCY
as ``emergency_<timestamp>``: a session that reached the service as one of them never had its
token validated, so its success proves nothing about auth. One definition for the live client
(``netra_diag.live.auth_verdict``) and for triage of recordings and test output
(``netra_diag.suites.links``, ``netra_diag.suites.vacuous``). Pure: no I/O.
"""

from __future__ import annotations

import re

__all__ = ["SYNTHETIC_USER", "SYNTHETIC_USER_IN_TEXT", "is_synthetic_user", "strip_truncation"]

# A whole id as a server reports it, with the spellings deployments use ("demo_user_7").
SYNTHETIC_USER = re.compile(r"^(?:demo[-_]user(?:[-_]\w*)?|relaxed_\w*|emergency_\w*)$", re.I)
# Within a test's output ("connected as demo-user-001"): only the ids exactly as the service
# writes them, so that a variable named demo_user in a traceback is no evidence.
SYNTHETIC_USER_IN_TEXT = re.compile(r"\b(?:demo-user-001|relaxed_\w*|emergency_\w*)\b")
# The service truncates user ids in connection_established ("demo-use…"); what is left of a
# synthetic one still starts like one of these.
_TRUNCATION_MARKERS = ("...", "…")
_PREFIXES = ("demo-user", "demo_user", "relaxed_", "emergency_")
_MIN_TRUNCATED = 4


def strip_truncation(user_id: str) -> str:
    """``user_id`` without the service's truncation marker (and surrounding blanks)."""
    text = user_id.strip()
    for marker in _TRUNCATION_MARKERS:
        if text.endswith(marker):
            return text[: -len(marker)]
    return text


def is_synthetic_user(user_id: str) -> bool:
    """True for the ids permissive auth assigns instead of a token's ``sub``, also when the
    server truncated them (``demo-use...``)."""
    shown = strip_truncation(user_id)
    if SYNTHETIC_USER.match(shown):
        return True
    if shown != user_id.strip() and len(shown) >= _MIN_TRUNCATED:
        low = shown.lower()
        return any(p.startswith(low) or low.startswith(p) for p in _PREFIXES)
    return False
