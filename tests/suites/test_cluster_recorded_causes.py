"""One failure message, several recorded causes: a cluster per cause, each saying what the
recordings showed.

The suite below is run for real: pytest with the plugin's ``--netra-record`` against the embedded
service on loopback port 0. Every test asks the agent through the same helper and fails on the
same assertion, so the report alone sees one signature; the recordings see a server that closed
1011, a token refused with close 1008 and one refused with HTTP 403 on the upgrade (one cause:
refused credentials, PROTOCOL.md §2), a service never reached, and one test recorded nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from suite_runs import run_case_module

from netra_diag.redaction import JWT_PATTERN
from netra_diag.suites import Category, Cluster, Recording, find_recordings, triage
from netra_diag.suites.triage import TriageReport
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

SUITE = '''
import socket
import time
from typing import Any

import pytest

from netra_diag.emulator import EmulatorConfig, Fault, FaultPlan, TimingProfile, run_service
from netra_diag.errors import NetraDiagError
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

WRONG_SECRET = "w" * 40


def token(key: str = LOCAL_DEV_SECRET) -> str:
    return mint_token("user-1", key=key, now=time.time())


def service(*faults: Fault) -> Any:
    plan = FaultPlan(dict.fromkeys(faults, 1.0))
    return run_service(EmulatorConfig(timing=TimingProfile.instant(), faults=plan))


async def agent_events(netra_session: Any, url: str, tok: str) -> tuple[Any, ...]:
    """The suite's helper: ask the agent, hand back the events (none if the session failed)."""
    try:
        session = await netra_session(url, token=tok, transport="header")
        record = await session.run("hello", timeout=5)
    except NetraDiagError:
        return ()
    return tuple(record.events)


@pytest.mark.asyncio
async def test_server_crashed(netra_session: Any) -> None:
    async with service(Fault.CLOSE_1011_AFTER_FIRST_MESSAGE) as svc:
        events = await agent_events(netra_session, svc.url, token())
    assert events, "the agent sent no events"


@pytest.mark.asyncio
async def test_token_refused(netra_session: Any) -> None:
    async with service() as svc:
        events = await agent_events(netra_session, svc.url, token(WRONG_SECRET))
    assert events, "the agent sent no events"


@pytest.mark.asyncio
async def test_never_connected(netra_session: Any) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    events = await agent_events(netra_session, f"ws://127.0.0.1:{port}/ws", token())
    assert events, "the agent sent no events"


def test_not_recorded() -> None:
    events: tuple[Any, ...] = ()
    assert events, "the agent sent no events"


@pytest.mark.asyncio
async def test_upgrade_refused(netra_session: Any) -> None:
    async with service() as svc:  # factory mode refuses before the upgrade
        url = svc.url.replace("/ws", "/ws/factory")
        events = await agent_events(netra_session, url, token(WRONG_SECRET))
    assert events, "the agent sent no events"
'''
INI = """asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""
CRASHED = "case_agent_runs::test_server_crashed"
REFUSED = "case_agent_runs::test_token_refused"
UNREACHABLE = "case_agent_runs::test_never_connected"
UNRECORDED = "case_agent_runs::test_not_recorded"
UPGRADE_REFUSED = "case_agent_runs::test_upgrade_refused"
SPLIT = "(one of 4 clusters of this signature, apart by recorded cause)"
Recordings = Mapping[str, Sequence[Recording]]


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recordings]:
    """The suite's JUnit and its recordings, from one real pytest run with the plugin."""
    src = tmp_path_factory.mktemp("recorded-causes")
    stdout = run_case_module(
        src, "agent_runs", SUITE, "--junitxml=junit.xml", "--netra-record=rec", ini=INI
    )
    assert "5 failed" in stdout, stdout
    return src / "junit.xml", find_recordings(src / "rec")


def _by_test(report: TriageReport) -> dict[str, Cluster]:
    return {test: cluster for cluster in report.clusters for test in cluster.tests}


def test_one_message_recorded_as_three_causes_is_a_cluster_per_cause(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, recordings = recorded_run
    report = triage(junit, recordings=recordings)
    by_test = _by_test(report)
    assert len(report.clusters) == 4
    assert len({c.signature for c in report.clusters}) == 1  # one message, four causes
    refused = by_test[REFUSED]
    assert refused is by_test[UPGRADE_REFUSED]  # a close 1008 and an HTTP 403: one cause
    assert refused.category is Category.SECRET_CLAIM_MISMATCH
    assert str(refused.phase) == "auth"
    assert refused.because.endswith(
        "; their recordings: closed 1008 Authentication failed, HTTP 403 on the upgrade " + SPLIT
    )
    crashed = by_test[CRASHED]
    assert crashed.category is Category.INTERNAL_1011
    assert crashed.because.endswith("; its recording: closed 1011 Internal error " + SPLIT)
    unreachable = by_test[UNREACHABLE]
    assert unreachable.category is Category.INFRASTRUCTURE
    assert str(unreachable.phase) == "connect"
    assert unreachable.because.endswith("; its recording: never connected " + SPLIT)
    # which recorded cause is its own cannot be told: the signature alone
    unrecorded = by_test[UNRECORDED]
    assert unrecorded.tests == (UNRECORDED,)
    assert unrecorded.category is Category.OTHER
    assert unrecorded.because.endswith("; no recording " + SPLIT)
    assert "2 failures are one cause (secret or claim mismatch)" in report.headline


def test_one_recorded_cause_keeps_the_signature_whole_and_says_whose_recording_showed_it(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, recordings = recorded_run
    report = triage(junit, recordings={CRASHED: recordings[CRASHED]})
    (cluster,) = report.clusters
    assert cluster.size == 5
    assert cluster.category is Category.INTERNAL_1011
    assert cluster.because.endswith(
        "; the recordings of 1 of its 5 tests: closed 1011 Internal error"
    )


def test_two_ways_of_refusing_the_token_do_not_split_the_signature(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, recordings = recorded_run
    both = {tid: recordings[tid] for tid in (REFUSED, UPGRADE_REFUSED)}
    (cluster,) = triage(junit, recordings=both).clusters
    assert cluster.category is Category.SECRET_CLAIM_MISMATCH
    assert "the recordings of 2 of its 5 tests: closed 1008 Authentication failed, HTTP 403" in (
        cluster.because
    )
    assert "clusters of this signature" not in cluster.because


def test_tests_whose_recordings_show_no_cause_keep_the_signature_alone_when_it_splits(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, recordings = recorded_run
    (crashed,) = recordings[CRASHED]
    ran_on = replace(crashed, close_code=None, close_reason="")  # a session that showed nothing
    linked = {
        CRASHED: (ran_on,),
        REFUSED: recordings[REFUSED],
        UNREACHABLE: recordings[UNREACHABLE],
    }
    report = triage(junit, recordings=linked)
    rest = _by_test(report)[CRASHED]
    assert rest.tests == (CRASHED, UNRECORDED, UPGRADE_REFUSED)
    assert rest.category is Category.OTHER
    split = SPLIT.replace("4", "3")
    assert rest.because.endswith(f"; no recording shows a cause {split}")


def test_without_recordings_the_signature_is_one_cluster_as_before(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, _ = recorded_run
    (cluster,) = triage(junit).clusters
    assert cluster.size == 5
    assert (
        cluster.because
        == "grouped because same AssertionError with message “the agent sent no events”"
    )
    assert cluster.recorded == ""


def test_every_rendering_says_what_the_recordings_showed_and_no_token(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, recordings = recorded_run
    report = triage(junit, recordings=recordings)
    data = report.to_dict()
    becauses = [c["because"] for c in data["clusters"]]
    assert sum(SPLIT in b for b in becauses) == 4
    renderings = {
        "text": report.to_text(),
        "markdown": report.to_markdown(),
        "json": json.dumps(data, ensure_ascii=False),
        "github": report.to_github(),
    }
    for name, shown in renderings.items():
        for seen in ("closed 1011 Internal error", "never connected", "HTTP 403 on the upgrade"):
            assert seen in shown, (name, seen)
        assert not JWT_PATTERN.search(shown), name


def test_a_token_the_server_quotes_in_its_close_reason_is_not_shown(
    recorded_run: tuple[Path, Recordings],
) -> None:
    junit, recordings = recorded_run
    token = mint_token("user-1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)
    (crashed,) = recordings[CRASHED]
    quoting = replace(crashed, close_reason=f"Internal error for token {token}")
    report = triage(junit, recordings={CRASHED: (quoting,), REFUSED: recordings[REFUSED]})
    for cluster in report.clusters:
        assert token not in cluster.because
        assert token not in cluster.category_reason
    assert "closed 1011 Internal error for token" in _by_test(report)[CRASHED].because
    assert token not in report.to_text() + report.to_markdown() + report.to_github()
