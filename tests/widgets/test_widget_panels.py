"""Widget panels, headless: instantiate, drive as a user would (click, set values), assert traits.

The live session panel runs against the real embedded service on a loopback port.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.errors import UsageError
from netra_diag.investigation import bundled_suite
from netra_diag.redaction import JWT_PATTERN
from netra_diag.report.safety import find_leaks
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token
from netra_diag.widgets import LatencyPanel, LiveSessionPanel, TokenPanel, TriagePanel

NOW = 1_764_028_800.0


def _no_token(text: str) -> None:
    assert not find_leaks(text, [LOCAL_DEV_SECRET]), text[:300]


# -- token panel ----------------------------------------------------------------------------------


def test_token_panel_mints_and_shows_only_a_fingerprint() -> None:
    panel = TokenPanel(sub="alice", ttl="15m", environ={}, clock=lambda: NOW)
    panel.claims.value = '{"permissions": ["read"]}'
    panel.mint_button.click()
    assert panel.token is not None and JWT_PATTERN.fullmatch(panel.token)
    assert panel.fingerprint.value.startswith("eyJ…#")
    assert panel.status.value == "expires in 15m"
    assert panel.verdict.value == "minted"
    assert "LOCAL_DEV_SECRET" in panel.secret_source.value
    assert "permissions" in panel.explanation.value
    bundle = panel._repr_mimebundle_()
    assert bundle is not None
    for text in (panel.explanation.value, bundle["text/html"], bundle["text/plain"], repr(panel)):
        assert panel.token not in text
        _no_token(text)


def test_token_panel_verifies_a_pasted_token_and_clears_the_field() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    good = mint_token("bob", key=LOCAL_DEV_SECRET, now=NOW - 60)
    panel.pasted.value = good
    panel.verify_button.click()
    assert panel.verdict.value == "valid"
    assert panel.pasted.value == ""  # never left in a synced trait
    assert "is valid for local" in panel.explanation.value

    wrong = mint_token("bob", key="another-secret-entirely-0123456789", now=NOW - 60)
    panel.pasted.value = wrong
    panel.verify_button.click()
    assert panel.verdict.value == "rejected"
    assert "bad_signature" in panel.explanation.value
    _no_token(panel.explanation.value)


def test_token_panel_explains_an_expired_token_and_malformed_input() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.pasted.value = mint_token("carol", key=LOCAL_DEV_SECRET, now=NOW - 3 * 3600, ttl="1h")
    panel.verify_button.click()
    assert panel.verdict.value == "rejected"
    assert "expired" in panel.status.value
    panel.pasted.value = "not.a.token"
    panel.inspect_button.click()
    assert panel.verdict.value == "malformed"


def test_token_panel_reads_the_secret_from_the_named_variable() -> None:
    env = {"MY_SIGNING_KEY": "secret-from-my-variable-0123456789"}
    panel = TokenPanel(secret_env="MY_SIGNING_KEY", environ=env, clock=lambda: NOW)
    token = panel.mint()
    assert token is not None
    assert panel.secret_source.value == "secret from $MY_SIGNING_KEY"
    assert "secret-from-my-variable" not in panel.explanation.value
    panel.verify_button.click()
    assert panel.verdict.value == "valid"


def test_token_panel_refuses_production_without_the_flag() -> None:
    panel = TokenPanel(environ={"JWT_SECRET_KEY": "p" * 40}, clock=lambda: NOW)
    panel.profile.value = "production"
    assert panel.mint() is None
    assert panel.verdict.value == "error"
    assert "production" in panel.explanation.value
    panel.allow_production.value = True
    assert panel.mint() is not None


def test_token_panel_reports_bad_claims_json() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.claims.value = "[1, 2"
    assert panel.mint() is None
    assert "extra claims" in panel.explanation.value


def test_token_panel_raises_its_own_error_for_bad_input() -> None:
    panel = TokenPanel(environ={}, clock=lambda: NOW)
    panel.claims.value = "not json"
    assert panel.mint() is None
    with pytest.raises(UsageError, match=r"^extra claims: "):
        panel.raise_for_error()
    panel.claims.value = "{}"
    panel.ttl.value = "banana"
    assert panel.mint() is None
    with pytest.raises(UsageError, match=r"^ttl: bad TTL 'banana'"):
        panel.raise_for_error()


def test_token_panel_names_an_unset_secret_variable() -> None:
    env = {"JWT_SECRET_KEY": "j" * 36}
    panel = TokenPanel(secret_env="NO_SUCH_VAR_QA", profile="staging", environ=env)
    assert panel.mint() is None
    with pytest.raises(UsageError, match=r"\$NO_SUCH_VAR_QA is not set"):
        panel.raise_for_error()
    # The local profile may fall back, but says so.
    panel = TokenPanel(secret_env="NO_SUCH_VAR_QA", environ={}, clock=lambda: NOW)
    assert panel.mint() is not None
    assert "$NO_SUCH_VAR_QA is not set" in panel.secret_warning
    assert "warning" in panel.secret_source.value


# -- live session panel -----------------------------------------------------------------------


async def _drive(panel: LiveSessionPanel, task: asyncio.Task[Any], limit: float) -> list[int]:
    seen: list[int] = []
    deadline = time.monotonic() + limit
    while not task.done():
        assert time.monotonic() < deadline, "run did not finish"
        seen.append(panel.event_count.value)
        await asyncio.sleep(0.02)
    await task
    return seen


async def test_live_panel_grows_while_the_run_is_in_flight(timeout_factor: float) -> None:
    timing = TimingProfile(time_scale=0.3, tool_calls=(1, 1))
    async with run_service(EmulatorConfig(timing=timing)) as service:
        panel = LiveSessionPanel(url=service.url, sub="widget-user", environ={})
        assert panel.state.value == "idle" and panel.event_count.value == 0
        task = panel.start(panel.run)  # what the Run button does
        assert task is not None
        seen = await _drive(panel, task, 20 * timeout_factor)
        # The loop was free during the run (we sampled), and the counts grew step by step.
        assert len(seen) > 5
        assert len(set(seen)) >= 3, seen
        assert seen == sorted(seen)
        assert panel.record is not None and panel.record.ok
        assert panel.outcome.value.startswith("completed")
        assert panel.auth.value.startswith("validated")
        assert "101" in panel.handshake_html.value
        rows = panel.event_table.value.count("<tr>") - 1  # minus the header row
        assert rows == panel.event_count.value >= 6
        for kind in ("agent_started", "tool_executing", "agent_completed"):
            assert kind in panel.event_table.value
        points = sum(len(trace.x or ()) for trace in panel.figure.data)
        assert points >= 6  # frame markers and spans grew on the timeline
        bundle = panel._repr_mimebundle_()
        assert bundle is not None and "netra-event-table" in bundle["text/html"]
        _no_token(bundle["text/html"])

        second = panel.start(panel.run)
        assert second is not None
        await _drive(panel, second, 20 * timeout_factor)
        assert panel.event_count.value > rows

        stopped = panel.start(panel.stop)  # the Stop button
        assert stopped is not None
        await stopped
        assert panel.state.value == "closed"
        assert "Closed 1000" in panel.close_html.value


async def test_live_panel_stop_cancels_a_running_turn(timeout_factor: float) -> None:
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=2.0))) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        run = panel.start(panel.run)
        assert run is not None
        deadline = time.monotonic() + 10 * timeout_factor
        while panel.state.value != "running":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        await panel.stop()
        await asyncio.sleep(0)
        assert run.cancelled() or run.done()
        assert panel.state.value == "closed"


async def test_live_panel_explains_a_refused_connection() -> None:
    async with run_service(EmulatorConfig()) as service:
        url = service.url
    panel = LiveSessionPanel(url=url, environ={})  # the service is gone: nothing listens
    assert await panel.run() is None
    assert panel.state.value == "failed"
    assert panel.error_html.value


async def test_live_panel_shows_a_known_bad_format_being_refused() -> None:
    async with run_service(EmulatorConfig()) as service:
        panel = LiveSessionPanel(url=service.url, transport="bad:jwt-bare", environ={})
        await panel.run()
        assert panel.state.value == "failed"
        assert "1003" in panel.error_html.value or "1008" in panel.error_html.value
        _no_token(panel.error_html.value + panel.close_html.value)


def test_live_panel_buttons_without_a_loop_say_what_to_do() -> None:
    panel = LiveSessionPanel(url="ws://127.0.0.1:9/ws", environ={})
    panel.run_button.click()
    assert "await panel.run()" in panel.error_html.value


# -- latency panel ----------------------------------------------------------------------------


def _metrics() -> pd.DataFrame:
    rows = []
    for c, cassette in enumerate(("a.jsonl", "b.jsonl")):
        for i in range(40):
            for phase, base in (("first_event", 50.0), ("run_total", 900.0), ("connect", 3.0)):
                rows.append(
                    {
                        "run": f"r{c}-{i}",
                        "user": f"u{c}",
                        "phase": phase,
                        "value_ms": base * (1 + c) + i,
                        "source": "client",
                        "ok": True,
                        "cassette": cassette,
                        "t_ms": float(i * 1000),
                        "wall": math.nan,
                        "tool": None,
                    }
                )
    return pd.DataFrame(rows)


def test_latency_panel_filters_and_redraws() -> None:
    from netra_diag.latency import load_sla

    panel = LatencyPanel(_metrics(), sla=load_sla("service"), phases=["first_event"])
    assert panel.recordings.value == ("a.jsonl", "b.jsonl")
    assert [t.name.split(" ")[0] for t in panel.figure.data] == ["first_event"]
    assert "first_event" in panel.summary_html.value
    assert panel.sla_report is not None and "connect-max" in panel.sla_html.value

    panel.phases.value = ("first_event", "run_total")
    assert {t.name.split(" ")[0] for t in panel.figure.data} == {"first_event", "run_total"}
    panel.kind.value = "ecdf"
    assert "ECDF" in panel.figure.layout.title.text
    panel.recordings.value = ("a.jsonl",)
    assert "(n=40)" in panel.figure.data[0].name
    assert panel.selected()["cassette"].unique().tolist() == ["a.jsonl"]
    html = panel._repr_mimebundle_()["text/html"]  # type: ignore[index]
    assert "netra-figure" in html and "first_event" in html


# -- triage panel -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def triage_report() -> Any:
    from netra_diag.suites.triage import triage

    return triage([bundled_suite("current")], baseline=[bundled_suite("baseline")])


def test_triage_panel_filters_clusters(triage_report: Any) -> None:
    panel = TriagePanel(triage_report)
    assert len(panel.clusters.options) == len(triage_report.clusters) > 1
    assert "token helper signature drift" in panel.category.options
    panel.category.value = "token helper signature drift"
    assert len(panel.clusters.options) == 1
    assert "TypeError" in panel.detail.value
    assert "expires_in" in panel.detail.value  # the traceback of the representative test
    panel.category.value = panel.category.options[0]
    panel.search.value = "no such text anywhere"
    assert panel.clusters.options == ()
    assert "no cluster matches" in panel.detail.value


def test_triage_panel_static_view_shows_the_filtered_clusters(triage_report: Any) -> None:
    # The static view (a report, a notebook without a kernel) shows what the panel shows.
    panel = TriagePanel(triage_report)
    every = panel.static_html()
    assert every.count("<tr>") == 1 + len(triage_report.clusters)  # header + a row per cluster
    assert "clusters (" not in every  # unfiltered: no line saying what the filters keep
    panel.category.value = "token helper signature drift"
    one = panel.static_html()
    assert one.count("<tr>") == 2 and "token helper signature drift" in one
    assert f"1 of {len(triage_report.clusters)} clusters (category token helper" in one
    panel.category.value = panel.category.options[0]
    panel.search.value = "zzz-nomatch"
    none = panel.static_html()
    assert "no cluster matches" in none and "<tr>" not in none
    assert f"0 of {len(triage_report.clusters)} clusters (filter &#x27;zzz-nomatch&#x27;)" in none


def test_triage_panel_opens_a_tests_recording(triage_report: Any, tmp_path: Path) -> None:
    from netra_diag.suites.links import Recording

    cassette = tmp_path / "run.jsonl"
    asyncio.run(_record_one_turn(cassette))
    test_id = triage_report.clusters[0].tests[0]
    linked = dataclasses.replace(
        triage_report, recordings={test_id: (Recording(path=str(cassette)),)}
    )
    panel = TriagePanel(linked)
    panel.clusters.value = 0
    panel.tests.value = test_id
    assert panel.figure is not None and len(panel.figure.data) > 0
    assert panel.contract is not None
    assert panel.contract.verdict in panel.findings_html.value.replace("&#x27;", "'")
    others = [t for t in panel.tests.options if t != test_id]
    if others:
        panel.tests.value = others[0]
        assert panel.figure is None and "no recording" in panel.findings_html.value
    # Filtered down to nothing: the last test's recording is no longer shown either.
    panel.tests.value = test_id
    assert panel.figure is not None
    panel.search.value = "zzz-nomatch"
    assert panel.figure is None and panel.contract is None and panel.findings_html.value == ""
    assert "netra-figure" not in panel.static_html()


def test_triage_panel_shows_a_token_in_a_traceback_as_its_fingerprint(tmp_path: Path) -> None:
    # A failing auth test often quotes the token it sent; the panel's view (and so the saved
    # notebook) must not.
    from netra_diag.suites.triage import triage

    token = mint_token("leaky-user", key=LOCAL_DEV_SECRET, now=time.time())
    results = tmp_path / "junit.xml"
    results.write_text(
        '<testsuite name="s" tests="1" failures="1"><testcase classname="t.m" name="test_a">'
        f'<failure message="rejected {token}">Traceback\nAssertionError: rejected {token}'
        "</failure></testcase></testsuite>"
    )
    panel = TriagePanel(triage([results]))
    assert "AssertionError: rejected eyJ…#" in panel.detail.value
    shown = panel.detail.value + panel.static_html() + str(panel._repr_mimebundle_())
    assert token not in shown and not JWT_PATTERN.search(shown)
    assert find_leaks(shown, secrets=[LOCAL_DEV_SECRET]) == []


async def _record_one_turn(path: Path) -> None:
    from netra_diag.investigation import run_turn

    timing = TimingProfile(time_scale=0.1)
    async with run_service(EmulatorConfig(timing=timing)) as service:
        token = mint_token("rec-user", key=LOCAL_DEV_SECRET, now=time.time())
        await run_turn(service.url, token=token, record=path, timeout=10)


async def test_live_panel_without_anywidget_still_draws(
    monkeypatch: pytest.MonkeyPatch, timeout_factor: float
) -> None:
    import plotly.graph_objects as go

    def missing(*_args: Any, **_kwargs: Any) -> Any:
        raise ImportError("Please install anywidget to use the FigureWidget class")

    monkeypatch.setattr(go, "FigureWidget", missing)
    async with run_service(EmulatorConfig(timing=TimingProfile(time_scale=0.1))) as service:
        panel = LiveSessionPanel(url=service.url, environ={})
        assert type(panel.figure) is go.Figure
        record = await asyncio.wait_for(panel.run(), 20 * timeout_factor)
        assert record is not None and record.ok
        assert sum(len(trace.x or ()) for trace in panel.figure.data) >= 6
