"""Permissive auth's synthetic user ids are recognised alike by the live verdict and by triage."""

from __future__ import annotations

import pytest

from netra_diag.live.auth_verdict import is_synthetic_user as live_says
from netra_diag.suites.links import is_bypass_user as triage_says
from netra_diag.synthetic_users import SYNTHETIC_USER_IN_TEXT


@pytest.mark.parametrize(
    ("user", "synthetic"),
    [
        ("demo-user-001", True),
        ("DEMO_USER_7", True),
        ("relaxed_3", True),
        ("emergency_1733580000", True),
        ("demo-use…", True),
        ("relax...", True),
        ("user-123456", False),
        ("user-12…", False),
        ("demonstrator", False),
        ("", False),
    ],
)
def test_live_client_and_triage_agree(user: str, synthetic: bool) -> None:
    assert live_says(user) is synthetic
    assert triage_says(user) is synthetic


def test_only_the_services_own_spelling_counts_in_test_output() -> None:
    assert SYNTHETIC_USER_IN_TEXT.search("connected as demo-user-001, ok")
    assert not SYNTHETIC_USER_IN_TEXT.search("demo_user = make_user()")
