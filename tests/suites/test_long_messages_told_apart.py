"""Two long failure messages that share a preamble and differ at their end are two causes.

A signature kept a message's first 240 characters: the live client's ``SessionClosed`` says
what close 1008 means before the server's own reason, so "iss is 'netra-test'" and "no
credentials" (a subprotocol in the wrong format) made one cluster, named after the first, and
the headline sent the reader after a secret when the fix was the subprotocol format.
"""

from __future__ import annotations

from pathlib import Path

from suite_runs import run_case_module

from netra_diag.suites import Category, triage

PREAMBLE = (
    "connection closed 1008 'Authentication failed': policy violation. This service uses it "
    "for: authentication failed or pre-auth required: no credentials reached the service, or "
    "it rejected the token (the web front end never reconnects after this). Last frames: "
)
SOURCE = f"""
PREAMBLE = {PREAMBLE!r}


class SessionClosed(Exception):
    pass


def test_wrong_iss():
    raise SessionClosed(PREAMBLE + "Authentication failed: iss is 'netra-test', expected 'x'")


def test_wrong_iss_again():
    raise SessionClosed(PREAMBLE + "Authentication failed: iss is 'netra-test', expected 'x'")


def test_subprotocol_format():
    reason = "Authentication failed: no credentials: send a 'jwt.<b64url>' subprotocol"
    raise SessionClosed(PREAMBLE + reason)
"""


def test_messages_alike_but_for_their_end_are_two_causes(tmp_path: Path) -> None:
    xml = tmp_path / "run.xml"
    run_case_module(tmp_path, "long", SOURCE, f"--junitxml={xml}")
    clusters = triage([xml]).clusters
    assert sorted(c.size for c in clusters) == [1, 2], [c.signature for c in clusters]
    by_size = {c.size: c for c in clusters}
    assert "iss is 'netra-test'" in by_size[2].signature.message
    assert "no credentials" in by_size[1].signature.message
    assert by_size[1].category is Category.SUBPROTOCOL_FORMAT
    assert " … " in by_size[2].signature.message  # cut in the middle, with the mark
