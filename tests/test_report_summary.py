"""A notebook that sets no headline shows the one ``netra-diag report`` prints: the page and
the JSON summary agree (the live_session page had no headline at all)."""

from __future__ import annotations

from netra_diag.report import Summary


def test_a_summary_without_a_headline_shows_the_derived_one() -> None:
    summary = Summary(None, notebook="live_session")
    summary.check("connected", kind="infrastructure", passed=True, detail="connected")
    summary.check("auth", kind="auth", passed=False, detail="token rejected: closed 1008")
    assert summary.to_dict()["headline"] == "auth: token rejected: closed 1008"
    assert "<p><b>auth: token rejected: closed 1008</b></p>" in summary._repr_html_()


def test_a_headline_set_by_the_notebook_wins_and_no_checks_means_none() -> None:
    summary = Summary(None, notebook="x")
    assert summary.to_dict()["headline"] == ""
    summary.check("sla", kind="sla", passed=True, detail="ok")
    assert summary.to_dict()["headline"] == "the one required check passed"
    summary.set_headline("SLA 'service': PASS")
    assert summary.to_dict()["headline"] == "SLA 'service': PASS"
