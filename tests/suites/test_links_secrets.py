"""A failing test that used netra_session leaves no token whole: pytest's tracebacks show each
frame's arguments ("token = '…'"), which went into the JUnit file and the terminal as they were."""

from __future__ import annotations

import re
from pathlib import Path

from links_kit import run_suite

from netra_diag.redaction import JWT_PATTERN
from netra_diag.suites import Category, triage

EXPIRED = """
import time

import pytest

from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

OPAQUE = "opaque-staging-token-1234567890"


async def run_with(netra_session, url, token):
    # (a frame that takes the token as an argument: pytest's traceback shows it, whatever
    # netra_diag's own frames take)
    session = await netra_session(url, token=token, transport="header")
    await session.run("hello", timeout=5)


@pytest.mark.asyncio
async def test_expired_token(service, netra_session):
    expired = mint_token("user-qa-2", key=LOCAL_DEV_SECRET, now=time.time() - 10_000)
    await run_with(netra_session, service.url, expired)


@pytest.mark.asyncio
async def test_opaque_token(service, netra_session):
    await run_with(netra_session, service.url, OPAQUE)


def test_without_session(token):
    assert token == "", "unrelated tests' reports are left as pytest made them"
"""


def test_tracebacks_of_session_tests_keep_fingerprints_only(tmp_path: Path) -> None:
    # (--tb=long: every frame with its arguments; the default shows them for the first and last)
    run = run_suite(tmp_path, EXPIRED, "-o", "junit_logging=all", "--tb=long")
    assert run.returncode == 1, run.stdout
    xml = run.junit.read_text(encoding="utf-8")
    failures = xml[: xml.index('name="test_without_session"')]
    assert "token = " in failures  # the argument lines are still there, their values hidden
    assert JWT_PATTERN.search(failures) is None, failures
    # pytest cuts a long argument in the middle ("'eyJhbGci...In0.TvIAItvn'"): neither its head
    # nor its tail (the signature) is left, and the fingerprint is the whole token's.
    assert re.search(r"eyJ[A-Za-z0-9_-]{8,}", failures) is None, failures
    assert re.search(r"token = 'eyJ…#[0-9a-f]{8}'", failures), failures
    assert (
        "opaque-staging-token-1234567890"
        not in failures + run.stdout[: run.stdout.find("test_without_session")]
    )
    # JUnit still takes the failure message from the crash line, not the whole traceback.
    assert 'message="netra_diag.errors.SessionClosed: connection closed 1008' in xml
    report = triage(run.junit, recordings=run.recordings)
    expired = next(c for c in report.clusters if "test_expired_token" in c.representative)
    assert expired.category is Category.SECRET_CLAIM_MISMATCH
    # A test that did not use the fixture is not rewritten.
    assert JWT_PATTERN.search(xml[xml.index('name="test_without_session"') :])
