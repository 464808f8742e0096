"""One grouping of a cassette's connection attempts into openings (``events.attempts``): what the
event contract reads and what ``latency.openings`` builds its rows and roles on, fed the same
marks, give the same openings."""

from __future__ import annotations

import math
from typing import Any

import pytest

from netra_diag.events.attempts import (
    abandoned_attempt_windows,
    failed_openings,
    kept_index,
    openings,
)
from netra_diag.events.spans import Mark
from netra_diag.latency.openings import AttemptRole, opening_attempts


def _attempt(t: float, transport: str, number: int, outcome: str, **data: Any) -> list[Mark]:
    return [
        Mark("connect_start", t, {"transport": transport, "attempt": number}),
        Mark("transport_attempt", t + 0.01, {"transport": transport, "outcome": outcome, **data}),
    ]


def _ticket_failed(t: float) -> list[Mark]:
    """auto's fourth transport whose ticket request failed: no socket, no connect_start."""
    return [
        Mark("error", t, {"transport": "ticket", "message": "no answer"}),
        Mark("transport_attempt", t, {"transport": "ticket", "outcome": "failed"}),
    ]


def _refused_everywhere(t: float = 0.0) -> list[Mark]:
    marks: list[Mark] = []
    for i, transport in enumerate(("header", "subprotocol", "query"), 1):
        marks += _attempt(t + i, transport, i, "closed", close_code=1008)
    return marks + _ticket_failed(t + 4)


def _shape(groups: Any) -> list[list[tuple[str, float, str | None]]]:
    return [[(a.transport, a.start, a.outcome) for a in group] for group in groups]


def test_a_ticket_request_that_failed_is_an_attempt_of_its_opening_without_a_socket() -> None:
    (opening,) = openings(_refused_everywhere())
    assert [a.transport for a in opening] == ["header", "subprotocol", "query", "ticket"]
    assert [a.socket for a in opening] == [True, True, True, False]
    assert opening[-1].start == opening[-1].end == 4.0  # shown at its mark: nothing earlier


def test_failed_openings_name_the_attempts_that_opened_a_socket() -> None:
    # The ticket refusal is told by its own marks; the opening's sockets all closed 1008.
    (failed,) = failed_openings(_refused_everywhere())
    assert [a.transport for a in failed] == ["header", "subprotocol", "query"]
    assert failed_openings(_ticket_failed(0.0)) == []


def test_a_mark_outside_any_opening_ends_the_one_under_way() -> None:
    marks = [
        *_attempt(0, "header", 1, "validated"),
        Mark("run_start", 1.0),
        # A later attempt numbered 2 with no attempt 1 before it: not part of the first opening.
        *_attempt(2, "query", 2, "closed", close_code=1008),
    ]
    assert _shape(openings(marks)) == [
        [("header", 0, "validated")],
        [("query", 2, "closed")],
    ]


def test_an_outcome_no_recorder_writes_settles_nothing() -> None:
    marks = [
        Mark("connect_start", 0.0, {"transport": "header", "attempt": 1}),
        Mark("transport_attempt", 0.5, {"transport": "header", "outcome": "teleported"}),
    ]
    (opening,) = openings(marks)
    assert not opening[0].settled and opening[0].end is None
    assert failed_openings(marks) == []  # nothing says it failed


@pytest.mark.parametrize(
    ("outcomes", "kept"),
    [
        (["closed", "bypass", "validated"], 2),
        (["bypass", "unverified"], 0),
        (["validated", "validated"], 0),
        (["rejected", "failed"], -1),
    ],
)
def test_the_kept_attempt_is_the_first_validated_else_the_first_connected(
    outcomes: list[str], kept: int
) -> None:
    marks = [m for i, o in enumerate(outcomes, 1) for m in _attempt(i, f"t{i}", i, o)]
    (opening,) = openings(marks)
    assert kept_index(opening) == kept
    roles = [a.role for a in opening_attempts([(m.name, m.t, m.data) for m in marks])[0]]
    assert [i for i, r in enumerate(roles) if r is AttemptRole.KEPT] == (
        [kept] if kept >= 0 else []
    )


def test_latency_and_events_see_the_same_openings() -> None:
    marks = [
        *_attempt(0, "header", 1, "closed", close_code=1008),
        *_attempt(1, "subprotocol", 2, "validated"),
        Mark("close", 5.0, {"code": 1006}),
        Mark("reconnect_attempt", 5.1, {"attempt": 1}),
        *_refused_everywhere(6.0),
    ]
    from_events = openings(marks)
    from_latency = opening_attempts([(m.name, m.t, m.data) for m in marks])
    assert len(from_events) == len(from_latency) == 2
    for group, views in zip(from_events, from_latency, strict=True):
        assert [(a.transport, a.outcome, a.end) for a in group] == [
            (v.transport, v.outcome, v.end_t) for v in views
        ]
        # Latency shows no start for an attempt without a socket (nothing was opened).
        assert [a.start if a.socket else math.nan for a in group] == pytest.approx(
            [v.start_t for v in views], nan_ok=True
        )
    # Without rows to weigh, the first refusal stands for the opening that failed everywhere.
    assert [v.role for v in from_latency[1]] == [
        AttemptRole.REFUSED,
        AttemptRole.FOLDED,
        AttemptRole.FOLDED,
        AttemptRole.FOLDED,
    ]


def test_an_attempt_without_a_socket_neither_is_kept_nor_hides_a_refusal() -> None:
    marks = [
        *_attempt(0, "header", 1, "closed", close_code=1008),
        Mark("transport_attempt", 1.0, {"transport": "ticket", "outcome": "validated"}),
    ]
    assert abandoned_attempt_windows(marks) == ()
    (failed,) = failed_openings(marks)
    assert [a.transport for a in failed] == ["header"]
