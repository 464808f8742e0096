"""Token, latency and triage panels used as an engineer would: empty selections, a linked
recording that cannot be read, recordings in one temp folder, a stale form error."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
import pytest

from netra_diag.investigation import bundled_suite
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token
from netra_diag.widgets import LatencyPanel, TokenPanel, TriagePanel

NOW = 1_764_028_800.0


def _metrics(cassettes: tuple[str, ...] = ("a.jsonl", "b.jsonl")) -> pd.DataFrame:
    rows = [
        {
            "run": f"r{c}-{i}",
            "user": f"u{c}",
            "phase": phase,
            "value_ms": base * (1 + c) + i,
            "source": "client",
            "ok": True,
            "cassette": cassette,
            "t_ms": float(i * 1000),
            "wall": float("nan"),
            "tool": None,
        }
        for c, cassette in enumerate(cassettes)
        for i in range(30)
        for phase, base in (("first_event", 50.0), ("run_total", 900.0), ("connect", 3.0))
    ]
    return pd.DataFrame(rows)


# -- latency ------------------------------------------------------------------------------------


def test_latency_panel_says_no_phase_is_selected_instead_of_drawing_every_phase() -> None:
    # Before: deselecting every phase drew every phase (figure and summary), as if all were picked.
    from netra_diag.latency import load_sla

    panel = LatencyPanel(_metrics(), sla=load_sla("service"), phases=["first_event"])
    panel.phases.value = ()
    assert panel.figure is None
    assert "no phase selected" in panel.notice.value
    assert "no phase selected" in panel.summary_html.value
    assert "run_total" not in panel.summary_html.value
    assert panel.sla_report is not None  # the SLA is over the recordings, whatever is plotted
    assert "no phase selected" in panel.static_html()
    panel.phases.value = ("run_total",)
    assert panel.notice.value == ""
    assert [t.name.split(" ")[0] for t in panel.figure.data] == ["run_total"]


def test_latency_panel_says_no_recording_is_selected() -> None:
    # Before: a blank figure, "no samples", and an SLA "NOT VERIFIED: 0 of 10 checks pass".
    from netra_diag.latency import load_sla

    panel = LatencyPanel(_metrics(), sla=load_sla("service"))
    panel.recordings.value = ()
    assert panel.figure is None
    assert "no recording selected" in panel.notice.value
    assert "not evaluated" in panel.sla_html.value and panel.sla_report is None
    panel.kind.value = "ecdf"  # still said, whatever is toggled
    assert "no recording selected" in panel.notice.value
    panel.recordings.value = ("b.jsonl",)
    assert panel.figure is not None and panel.sla_report is not None


def test_latency_panel_names_recordings_below_their_shared_folder() -> None:
    # Before: the list showed whole paths, cut at its width where they were all the same.
    folder = "/tmp/netra-latency-8wz4jvdx"
    paths = tuple(f"{folder}/{n:05d}-user-{n}.jsonl" for n in range(3))
    panel = LatencyPanel(_metrics(paths))
    assert [label for label, _value in panel.recordings.options] == [
        "00000-user-0.jsonl",
        "00001-user-1.jsonl",
        "00002-user-2.jsonl",
    ]
    assert panel.recordings.value == paths  # the values are still the whole paths
    panel.recordings.value = paths[:1]
    assert panel.selected()["cassette"].unique().tolist() == [paths[0]]


def test_latency_panel_shows_a_selection_it_cannot_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    # A raise in a selection callback goes to JupyterLab's log console: nothing in the panel.
    import netra_diag.charts.latency as charts

    panel = LatencyPanel(_metrics())

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ValueError("no bins for this data")

    monkeypatch.setattr(charts, "ecdf_figure", broken)
    panel.kind.value = "ecdf"
    assert "could not be drawn" in panel.notice.value
    assert "no bins for this data" in panel.notice.value
    panel.kind.value = "histogram"
    assert panel.notice.value == "" and panel.figure is not None


# -- triage -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report() -> Any:
    from netra_diag.suites.triage import triage

    return triage([bundled_suite("current")], baseline=[bundled_suite("baseline")])


@pytest.mark.parametrize("damage", ["garbled", "deleted"])
def test_triage_panel_says_a_linked_recording_cannot_be_read(
    report: Any, tmp_path: Path, damage: str
) -> None:
    # Before: the panel raised RecordingError from its constructor (the cell failed), and on a
    # later pick the raise went nowhere, leaving the previous test's findings on screen.
    from netra_diag.suites.links import Recording

    cassette = tmp_path / "test_a.jsonl"
    if damage == "garbled":
        cassette.write_text("garbage\n")
    cluster = report.clusters[0]
    test_id = cluster.representative
    linked = dataclasses.replace(report, recordings={test_id: (Recording(path=str(cassette)),)})
    panel = TriagePanel(linked)
    assert panel.tests.value == test_id
    assert panel.figure is None and panel.contract is None
    assert "could not be read" in panel.findings_html.value
    assert "test_a.jsonl" in panel.findings_html.value
    assert "could not be read" in panel.static_html()


def test_triage_panel_lists_are_as_wide_as_the_panel(report: Any) -> None:
    # Before: 300 px lists cut cluster labels and test ids (seen in JupyterLab at 1280 px).
    panel = TriagePanel(report)
    assert panel.clusters.layout.width == "98%"
    assert panel.tests.layout.width == "98%"


# -- tokens -------------------------------------------------------------------------------------


def test_token_panel_verdict_and_secret_source_are_not_run_together() -> None:
    # Before: one row read "verdict: valid secret from built-in local development secret".
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.mint()
    rows = [c for c in panel.children if isinstance(c, widgets.HBox)]
    verdict_row = next(r for r in rows if panel.verdict in r.children)
    assert panel.secret_source not in verdict_row.children
    assert panel.secret_source in panel.children


def test_token_panel_forgets_a_form_error_once_inspect_succeeds() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.claims.value = "{not json"
    assert panel.mint() is None and panel.error
    panel.pasted.value = mint_token("dave", key=LOCAL_DEV_SECRET, now=time.time())
    assert panel.inspect() is not None
    assert panel.error == ""
    panel.raise_for_error()  # nothing left to raise


def _saved_widget_state(*panels: Any) -> str:
    """What "save widget state" writes into the notebook for these panels: the state of every
    model they are made of (``dependency_state``: not other tests' widgets)."""
    import json

    from ipywidgets.embed import dependency_state

    return json.dumps(dependency_state(list(panels)))


def test_a_pasted_token_never_stays_in_the_saved_widget_state() -> None:
    # Before: a token pasted and then left (Mint clicked instead of Inspect/Verify) stayed in the
    # password field's value, which "save widget state" writes into the .ipynb whole.
    from netra_diag.redaction import JWT_PATTERN

    panel = TokenPanel(environ={}, clock=lambda: NOW)
    pasted = mint_token("erin", key=LOCAL_DEV_SECRET, now=NOW - 60)
    panel.pasted.value = pasted  # what the front end sends on Enter, or on leaving the field
    assert panel.pasted.value == ""
    assert panel.pasted.placeholder.startswith("pasted eyJ…#")
    panel.mint_button.click()
    state = _saved_widget_state(panel)
    assert pasted not in state and panel.token is not None and panel.token not in state
    assert not JWT_PATTERN.search(state)
    # The pasted token is still the one Verify checks, and then it is gone.
    verification = panel.verify()
    assert verification is not None and verification.ok
    assert "erin" in panel.explanation.value
    assert panel.pasted.placeholder == "paste a token"


async def test_a_live_session_leaves_no_token_in_the_saved_widget_state() -> None:
    from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
    from netra_diag.redaction import JWT_PATTERN
    from netra_diag.widgets import LiveSessionPanel

    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, transport="query", environ={})
        assert await panel.run() is not None
        await panel.stop()
        assert not JWT_PATTERN.search(_saved_widget_state(panel))


def test_a_failed_mint_says_the_token_shown_is_the_last_one() -> None:
    # Before: after a good mint, a mint with bad claims showed "verdict: error" beside the last
    # token's fingerprint and "expires in 2h", as if the failed mint had made that token.
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    assert panel.mint() is not None
    shown = panel.fingerprint.value
    panel.claims.value = "{oops"
    assert panel.mint() is None
    assert panel.fingerprint.value == shown
    assert "nothing was minted" in panel.explanation.value
    assert shown in panel.explanation.value
    assert panel.error.startswith("extra claims: ")  # the plain error is unchanged
    # A first mint that fails has nothing to point at.
    fresh = TokenPanel(environ={}, clock=lambda: NOW)
    fresh.claims.value = "{oops"
    assert fresh.mint() is None and "nothing was minted" not in fresh.explanation.value
