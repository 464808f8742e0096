"""How the server refuses credentials (PROTOCOL.md §2: close 1008 in main mode, HTTP 401/403 on
the upgrade in factory mode and from the ticket endpoint) is said once, in ``closecodes``; the live
client's verdict and triage of a recorded session or of a failure message read it from there, so
they cannot drift apart."""

from __future__ import annotations

import pytest

from netra_diag import closecodes
from netra_diag.errors import HandshakeRejected, SessionClosed
from netra_diag.live import auth_verdict
from netra_diag.live.auth_verdict import auth_refusal
from netra_diag.suites import Category, Outcome, Problem, ProblemKind, SuiteRun, TestCase
from netra_diag.suites.categories import categorise
from netra_diag.suites.clusters import cluster_failures
from netra_diag.suites.links import Recording
from netra_diag.suites.model import row_of

STATUSES = range(400, 600)
CLOSE_CODES = [*range(1000, 1016), 3000, 4000, 4001, 4003]
_FAILED_UPGRADE = ("connect_start",)  # a session whose upgrade was answered, not accepted


def test_the_refusing_statuses_live_in_closecodes_and_the_live_client_reads_them_there() -> None:
    assert sorted(closecodes.AUTH_REFUSED_STATUSES) == [401, 403]
    assert sorted(closecodes.AUTH_FAILURE_CODES) == [1008]
    assert auth_verdict.AUTH_REFUSED_STATUSES is closecodes.AUTH_REFUSED_STATUSES
    assert "AUTH_REFUSED_STATUSES" in closecodes.__all__


def _failing(exc_type: str, message: str) -> TestCase:
    problem = Problem(ProblemKind.FAILURE, type=exc_type, message=message)
    return TestCase("m::t", "t", outcome=Outcome.FAILED, problems=(problem,))


def _category_of_recording(rec: Recording) -> Category:
    """The category triage gives a failure that says nothing itself, from its recording."""
    case = _failing("AssertionError", "assert ()")
    run = SuiteRun(rows=(row_of(case),), details={case.test_id: case})
    (cluster,) = cluster_failures(run, {case.test_id: (rec,)})
    return cluster.category


def _category_of_message(message: str) -> Category:
    return categorise(_failing("Error", message)).category


@pytest.mark.parametrize("status", STATUSES)
def test_an_upgrade_status_refuses_credentials_alike_live_and_in_triage(status: int) -> None:
    refused = status in closecodes.AUTH_REFUSED_STATUSES
    live = auth_refusal(HandshakeRejected("ws://127.0.0.1:1/ws", status))
    assert (live is not None) is refused
    rec = Recording(path="r.jsonl", marks=_FAILED_UPGRADE, http_status=status)
    assert (_category_of_recording(rec) is Category.SECRET_CLAIM_MISMATCH) is refused
    assert (rec.phase_reached() == "auth") is refused
    said = f"InvalidStatus: server rejected WebSocket connection: HTTP {status}"
    assert (_category_of_message(said) is Category.SECRET_CLAIM_MISMATCH) is refused


@pytest.mark.parametrize("code", CLOSE_CODES)
def test_a_close_code_refuses_credentials_alike_live_and_in_triage(code: int) -> None:
    refused = code in closecodes.AUTH_FAILURE_CODES
    live = auth_refusal(SessionClosed(code, "bye"))
    assert (live is not None) is refused
    rec = Recording(path="r.jsonl", marks=("upgrade_done", "close"), frames_in=1, close_code=code)
    assert (_category_of_recording(rec) is Category.SECRET_CLAIM_MISMATCH) is refused
    if refused:
        assert rec.phase_reached() == "auth"
        assert (
            _category_of_message(f"ConnectionClosedError: received {code}")
            is Category.SECRET_CLAIM_MISMATCH
        )
