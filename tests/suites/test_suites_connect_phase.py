"""A timeout while connecting failed in the connect phase, whatever words the client used."""

from __future__ import annotations

import pytest

from netra_diag.suites import Category, Outcome, Phase, Problem, ProblemKind, TestCase, phase_of


@pytest.mark.parametrize(
    "message",
    [
        "TimeoutError: timed out connecting to ws://localhost:8000/ws after 10.0s",
        "TimeoutError: timeout while connecting to staging",
        "OSError: could not connect to ws://127.0.0.1:8000/ws",
        "asyncio.TimeoutError: connection timed out",
    ],
)
def test_a_timeout_connecting_is_the_connect_phase(message: str) -> None:
    case = TestCase(
        test_id="test_ws::test_timeout",
        name="test_timeout",
        classname="test_ws",
        outcome=Outcome.FAILED,
        problems=(Problem(ProblemKind.FAILURE, message=message, text=f"E   {message}"),),
    )
    assert phase_of(case, Category.INFRASTRUCTURE) is Phase.CONNECT
