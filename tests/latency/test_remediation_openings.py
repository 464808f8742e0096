"""How ``phase_metrics`` counts connection attempts written by hand in the cassette line format
(docs/cassette-format.md), for the cases a live emulator does not produce on demand: a ticket
request that failed before any ``connect_start``, a validated socket after one that only
connected, a reconnect's own opening, and cassettes without ``transport_attempt`` marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from latency_kit import CassetteBuilder

from netra_diag.latency import phase_metrics
from netra_diag.latency.openings import AttemptRole, opening_attempts, summarize_openings
from netra_diag.recording import load_frames


def _refused(b: CassetteBuilder, t: float, transport: str, attempt: int) -> float:
    """An attempt accepted (101), then closed 1008 after AUTH_FAILED."""
    b.mark("connect_start", t, transport=transport, attempt=attempt)
    b.mark("upgrade_done", t + 2, transport=transport, status=101)
    b.frame("in", t + 3, {"type": "error_message", "error_code": "AUTH_FAILED"})
    b.mark("close", t + 4, code=1008, reason="Authentication failed")
    b.mark(
        "transport_attempt",
        t + 4,
        transport=transport,
        outcome="closed",
        close_code=1008,
        duration_s=0.004,
    )
    return t + 5


def _connected(
    b: CassetteBuilder, t: float, transport: str, attempt: int, outcome: str, user: str
) -> float:
    b.mark("connect_start", t, transport=transport, attempt=attempt)
    b.mark("upgrade_done", t + 10, transport=transport, status=101)
    b.frame("in", t + 11, {"type": "connection_established", "data": {"user_id": user}})
    b.mark("connection_established", t + 11, user_id=user)
    b.mark(
        "transport_attempt",
        t + 12,
        transport=transport,
        outcome=outcome,
        server_user_id=user,
        duration_s=0.012,
    )
    return t + 13


def _metrics(tmp_path: Path, b: CassetteBuilder) -> tuple[pd.DataFrame, Any]:
    frames = load_frames([b.write(tmp_path / "c.jsonl")]).frames
    return phase_metrics(frames), summarize_openings(frames)


def _connects(metrics: pd.DataFrame) -> list[tuple[bool, float]]:
    rows = metrics[metrics["phase"] == "connect"]
    return [(bool(ok), float(v)) for ok, v in zip(rows["ok"], rows["value_ms"], strict=True)]


def test_a_ticket_that_failed_before_connecting_leaves_one_failed_connect(tmp_path: Path) -> None:
    b = CassetteBuilder()
    t = _refused(b, 0, "header", 1)
    t = _refused(b, t, "subprotocol", 2)
    t = _refused(b, t, "query", 3)
    b.mark("transport_attempt", t, transport="ticket", outcome="failed", detail="no answer")
    metrics, openings = _metrics(tmp_path, b)
    connects = _connects(metrics)
    assert len(connects) == 1 and connects[0][0] is False, connects
    # The last refusal that reached the service (query, 1008) stands for the opening.
    established = metrics[metrics["phase"] == "time_to_established"]
    assert list(established["ok"]) == [False]
    assert (openings.openings, openings.openings_in, openings.folded) == (1, 0, 3)
    assert not openings.fallbacks


def test_a_validated_socket_after_a_bypass_is_the_one_connect(tmp_path: Path) -> None:
    b = CassetteBuilder()
    t = _connected(b, 0, "header", 1, "bypass", "demo-user-001")
    t = _refused(b, t, "subprotocol", 2)
    _connected(b, t, "query", 3, "validated", "u1")
    metrics, openings = _metrics(tmp_path, b)
    assert _connects(metrics) == [(True, 10.0)]
    assert len(metrics[metrics["phase"] == "time_to_established"]) == 1
    assert (openings.openings, openings.openings_in, openings.extra_connected) == (1, 1, 1)
    assert [f.label for f in openings.fallbacks] == ["subprotocol: closed 1008"]
    roles = [a.role for a in opening_attempts(_marks(b))[0]]
    assert roles == [AttemptRole.EXTRA, AttemptRole.FALLBACK, AttemptRole.KEPT]


def test_a_reconnect_is_an_opening_of_its_own(tmp_path: Path) -> None:
    b = CassetteBuilder()
    t = _refused(b, 0, "header", 1)
    t = _connected(b, t, "subprotocol", 2, "validated", "u1")
    b.mark("close", t + 100, code=1006)
    b.mark("reconnect_attempt", t + 101, attempt=1, delay_s=0.0)
    t = _refused(b, t + 102, "header", 1)
    _connected(b, t, "subprotocol", 2, "validated", "u1")
    metrics, openings = _metrics(tmp_path, b)
    assert _connects(metrics) == [(True, 10.0), (True, 10.0)]
    assert (openings.openings, openings.openings_in, len(openings.fallbacks)) == (2, 2, 2)
    assert "2 refused attempts" in openings.text() and "2 connects" in openings.text()


def test_cassettes_without_transport_attempt_marks_keep_every_row(tmp_path: Path) -> None:
    b = CassetteBuilder()
    b.mark("connect_start", 0, transport="header", attempt=1)
    b.mark("upgrade_done", 2, transport="header", status=101)
    b.mark("close", 4, code=1008)
    b.mark("connect_start", 5, transport="subprotocol", attempt=2)
    b.mark("upgrade_done", 15, transport="subprotocol", status=101)
    b.frame("in", 16, {"type": "connection_established", "data": {"user_id": "u1"}})
    metrics, openings = _metrics(tmp_path, b)
    assert _connects(metrics) == [(True, 2.0), (True, 10.0)]  # nothing tells them apart
    assert not openings.matters and openings.text() == ""


def _marks(b: CassetteBuilder) -> list[tuple[str, float, dict[str, Any]]]:
    return [(ln["name"], ln["t_ns"] / 1e9, ln["data"]) for ln in b.lines if ln["kind"] == "mark"]
