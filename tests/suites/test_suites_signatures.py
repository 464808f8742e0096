"""Failure signatures: normalisation keeps what tells causes apart and strips what does not."""

from __future__ import annotations

import pytest

from netra_diag.suites import (
    Outcome,
    Problem,
    ProblemKind,
    TestCase,
    normalise_message,
    signature_of,
)
from netra_diag.suites.frames import innermost_frame
from netra_diag.suites.signatures import Signature, new_signatures
from netra_diag.suites.signing import _same_primaries
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("user user-123 at 0x7f00ff12", "user user-<n> at <hex>"),
        ("run 3f2a1b4c-1234-4abc-8def-0123456789ab failed", "run <uuid> failed"),
        ("at 2025-09-14T16:30:01.250Z and 16:30:02", "at <time> and <time>"),
        ("refused 127.0.0.1:54321: connect", "refused <host>:<port>: connect"),
        ("Connect call failed ('127.0.0.1', 8000)", "Connect call failed ('<host>', <port>)"),
        ("/tmp/pytest-of-root/pytest-3/test_x0/f.txt missing", "<tmp> missing"),
        (
            "received 1011 (internal error); expected 1000",
            "received 1011 (internal error); expected 1000",
        ),
        ("HTTP 403 then HTTP 503", "HTTP 403 then HTTP 503"),
        ("[Errno 111] Connection refused", "[Errno 111] Connection refused"),
        ("took 4.8 s for 12 events", "took <n> s for <n> events"),
        ("thread t-4f2a9c done", "thread t-<hex> done"),
        ("  many   spaces\n and lines ", "many spaces and lines"),
    ],
)
def test_normalise_message(raw: str, expected: str) -> None:
    assert normalise_message(raw) == expected


def test_tokens_never_survive_normalisation() -> None:
    token = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)
    assert "eyJ" not in normalise_message(f"bad token {token}").replace("<token>", "")


PYTEST_LONG = """\
    async def test_x(self):
>       await run_agent(ws)

tests/e2e/test_agent.py:12:
_ _ _
netra_backend/agents/runner.py:40: in run_agent
    await self._step()
/usr/lib/python3.11/site-packages/websockets/asyncio/connection.py:300: in recv
    raise self.protocol.close_exc
E   websockets.exceptions.ConnectionClosedError: received 1011 (internal error)

/usr/lib/python3.11/site-packages/websockets/asyncio/connection.py:300: ConnectionClosedError"""

CPYTHON = """Traceback (most recent call last):
  File "/work/tests/test_a.py", line 3, in test_a
    helper()
  File "/work/app/helpers.py", line 9, in helper
    raise ValueError("boom")
ValueError: boom"""

NODE = """Error [ERR_TEST_FAILURE]: boom
    at TestContext.<anonymous> (file:///w/test/agent.test.mjs:10:12)
    at handle (file:///w/src/ws/client.mjs:88:5)
    at Test.run (node:internal/test_runner/test:796:25)"""

JAVA = """org.junit.ComparisonFailure: x
\tat org.junit.Assert.assertEquals(Assert.java:117)
\tat com.netra.Client.connect(Client.java:42)
\tat com.netra.fixture.AgentEventsTest.agentStartedFirst(AgentEventsTest.java:14)"""


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        (PYTEST_LONG, "netra_backend/agents/runner.py:run_agent"),
        (CPYTHON, "/work/app/helpers.py:helper"),
        (NODE, "file:///w/src/ws/client.mjs:handle"),
        (JAVA, "Client.java:connect"),
        ("no frames here", ""),
    ],
)
def test_innermost_frame_in_code_under_test(text: str, frame: str) -> None:
    assert innermost_frame(text) == frame


def _case(
    message: str, text: str = "", name: str = "t", kind: ProblemKind = ProblemKind.FAILURE
) -> TestCase:
    return TestCase(
        test_id=f"k::{name}",
        name=name,
        classname="k",
        outcome=Outcome.FAILED,
        problems=(Problem(kind, message=message, text=text),),
    )


def test_same_cause_different_ids_share_a_signature() -> None:
    a = signature_of(
        _case("TimeoutError: no agent_completed within 30.0 s for run 1a2b3c4d5e6f", name="a")
    )
    b = signature_of(
        _case("TimeoutError: no agent_completed within 60.0 s for run 9f8e7d6c5b4a", name="b")
    )
    assert a is not None and b is not None and a.key == b.key
    assert a.exc_type == "TimeoutError"


def test_different_close_codes_are_different_causes() -> None:
    a = signature_of(
        _case("ConnectionClosedError: received 1008 (policy violation) Authentication failed")
    )
    b = signature_of(
        _case("ConnectionClosedError: received 1011 (internal error) Authentication failed")
    )
    assert a is not None and b is not None and a.key != b.key


def test_generic_messages_fall_back_to_the_test_frame() -> None:
    a = signature_of(
        _case("assert False", "tests/test_a.py:3: in test_one\nE   assert False", name="one")
    )
    b = signature_of(
        _case("assert False", "tests/test_b.py:7: in test_two\nE   assert False", name="two")
    )
    assert a is not None and b is not None and a.key != b.key


def test_pytest_setup_wrapper_is_unwrapped() -> None:
    sig = signature_of(
        _case(
            'failed on setup with "ConnectionRefusedError: [Errno 111] Connection refused"',
            kind=ProblemKind.ERROR,
        )
    )
    assert sig is not None
    assert (sig.exc_type, sig.message) == (
        "ConnectionRefusedError",
        "[Errno 111] Connection refused",
    )


def test_signatures_built_in_bulk_equal_the_dataclass_built_ones() -> None:
    rows = [("ValueError", "x <n>", "m/c.py:f", "x 1"), ("", "", "", "")]
    fast = new_signatures(rows)
    assert fast == [Signature(*row) for row in rows]
    assert [hash(s) for s in fast] == [hash(Signature(*row)) for row in rows]
    assert fast[0].key == Signature(*rows[0]).key and new_signatures([]) == []


def test_the_childs_signatures_are_taken_only_for_the_very_problems_sent() -> None:
    one = Problem(ProblemKind.FAILURE, "", "AssertionError: a", "t")
    other = Problem(ProblemKind.FAILURE, "", "AssertionError: a", "t")  # equal, not the same
    teardown = Problem(ProblemKind.ERROR, "", 'failed on teardown with "OSError: x"', "t")

    def case(*problems: Problem) -> TestCase:
        return TestCase("k::t", "t", "k", outcome=Outcome.FAILED, problems=problems)

    assert _same_primaries([case(one)], [one])
    assert not _same_primaries([case(other)], [one])
    # With more than one problem, the primary one (the failure) is what must have been sent.
    assert _same_primaries([case(one), case(one, teardown)], [one, one])
    assert not _same_primaries([case(one), case(teardown, one)], [one, teardown])
    assert not _same_primaries([TestCase("k::t", "t", outcome=Outcome.FAILED)], [one])


def test_a_parametrised_assertion_is_one_signature_whatever_the_value() -> None:
    # pytest: "assert 'xxx' == 'ünï'", once per parameter value.
    values = ["'ünï'", "'q\\'\"'", "'<a&b>'", '"double"']
    messages = {normalise_message(f"assert {v} == 'expected'") for v in values}
    assert messages == {"assert '<str>' == '<str>'"}
    # Elsewhere a quoted name is the cause, and stays.
    assert normalise_message("unexpected keyword argument 'expires_in_seconds'") == (
        "unexpected keyword argument 'expires_in_seconds'"
    )
