"""A small e2e suite as its users write one (parametrised, in a class, a contract failure, a refused
token, a set-up error, a test without a session), run with the plugin and triaged with
``--recordings`` in every format: each failing test shows its own cassette, and no token is shown
whole anywhere."""

from __future__ import annotations

import contextlib
import io
import json
import re

import pytest
from links_kit import SuiteRun, run_suite

from netra_diag.cli import main
from netra_diag.redaction import JWT_PATTERN

SUITE = """
import time

import pytest
import pytest_asyncio

from netra_diag.emulator import EmulatorConfig, FaultPlan, TimingProfile, run_service
from netra_diag.events.model import CRITICAL_EVENTS
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest_asyncio.fixture
async def dropping_service():
    config = EmulatorConfig(timing=TimingProfile.instant(), faults=FaultPlan({"drop_event": 1.0}))
    async with run_service(config) as svc:
        yield svc


@pytest_asyncio.fixture
async def seeded():
    raise RuntimeError("staging database seed failed")
    yield


@pytest.mark.asyncio
@pytest.mark.parametrize("transport", ["header", "subprotocol"])
async def test_transports(service, token, netra_session, transport):
    session = await netra_session(service.url, token=token, transport=transport)
    record = await session.run("hello", timeout=10)
    assert transport == "header", f"{transport}: refused in production"


class TestEvents:
    @pytest.mark.asyncio
    async def test_all_critical_events(self, dropping_service, token, netra_session):
        session = await netra_session(dropping_service.url, token=token, transport="header")
        record = await session.run("hello", timeout=10)
        assert set(CRITICAL_EVENTS) <= {e.event.type for e in record.events}


@pytest.mark.asyncio
async def test_expired_token(service, netra_session):
    expired = mint_token("user-qa-2", key=LOCAL_DEV_SECRET, now=time.time() - 10_000)
    session = await netra_session(service.url, token=expired, transport="header")
    await session.run("hello", timeout=5)


@pytest.mark.asyncio
async def test_seeded(seeded, netra_session):
    pass


def test_no_session():
    pass
"""

FAILING = {
    "test_agent::test_transports[subprotocol]": "test_agent.py__test_transports[subprotocol].jsonl",
    "test_agent.TestEvents::test_all_critical_events": (
        "test_agent.py__TestEvents__test_all_critical_events.jsonl"
    ),
    "test_agent::test_expired_token": "test_agent.py__test_expired_token.jsonl",
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[SuiteRun, dict[str, str]]:
    run = run_suite(tmp_path_factory.mktemp("e2e"), SUITE)
    assert "3 failed, 2 passed, 1 error" in run.stdout, run.stdout
    shown = {}
    for fmt in ("text", "markdown", "json", "github"):
        how = ["--json"] if fmt == "json" else ["--format", fmt]
        argv = ["triage", str(run.junit), "--recordings", str(run.recordings), *how]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
        assert code == 1, out.getvalue()
        shown[fmt] = out.getvalue()
    return run, shown


def test_every_format_links_each_failing_test_to_its_own_cassette(
    outputs: tuple[SuiteRun, dict[str, str]],
) -> None:
    run, shown = outputs
    data = json.loads(shown["json"])
    assert data["run"]["warnings"] == []
    linked = {
        tid: [p.rsplit("/", 1)[-1] for p in paths]
        for c in data["clusters"]
        for tid, paths in (c["recordings"] or {}).items()
    }
    assert linked == {tid: [name] for tid, name in FAILING.items()}
    text = shown["text"]
    for name in FAILING.values():
        assert f"recording {run.recordings / name}: " in text
    assert re.search(r"contract: FAIL: run \S+ never sent agent_started", text)
    github = shown["github"]
    assert "test_agent.TestEvents::test_all_critical_events: " in github
    assert "Its recording: FAIL: run " in github


def test_no_token_is_shown_whole_anywhere(outputs: tuple[SuiteRun, dict[str, str]]) -> None:
    run, shown = outputs
    assert JWT_PATTERN.search(run.junit.read_text(encoding="utf-8")) is None
    assert JWT_PATTERN.search(run.stdout) is None
    for cassette in run.recordings.glob("*.jsonl"):
        assert JWT_PATTERN.search(cassette.read_text(encoding="utf-8")) is None, cassette
    for fmt, out in shown.items():
        assert JWT_PATTERN.search(out) is None, fmt


def test_markdown_shows_the_cassette_of_a_test_named_token(
    outputs: tuple[SuiteRun, dict[str, str]],
) -> None:
    run, shown = outputs
    markdown = shown["markdown"].replace("\\", "")
    for tid, name in FAILING.items():
        assert f"- {tid}: recording {run.recordings / name}: " in markdown
