"""A test that caught one exception and failed with another: the signature names the exception
the test ended with, and the frame the function that raised, not a helper defined inside it.

TRACEBACK is pytest's long format (trimmed in the middle) of

    async def test_refused_generic(netra_session):
        try:
            s = await netra_session("ws://127.0.0.1:9/ws", token=None, transport="none")
        except Exception:
            assert False

with nothing listening on port 9.
"""

from __future__ import annotations

from netra_diag.suites import Outcome, Problem, ProblemKind, TestCase, signature_of
from netra_diag.suites.frames import innermost_frame

TRACEBACK = """\
hs = Handshake(transport='none', url='ws://127.0.0.1:9/ws', headers={}, subprotocols=[])
token = None, open_timeout = 10.0

    async def open_socket(
        hs: Handshake,
        *,
        token: str | None,
        open_timeout: float,
    ) -> StampedConnection:
        \"\"\"Open the WebSocket for ``hs``; translate every failure into our exceptions.
        \"\"\"

        def shown() -> str:  # only for an error message: not worth computing on success
            return redact_url(hs.url, secrets)

        try:
            return await _connect(hs, open_timeout=open_timeout)
        except TimeoutError as exc:
            raise ConnectFailed(
                shown(), f"opening handshake timed out after {open_timeout:g} s"
            ) from exc
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
>           raise ConnectFailed(shown(), scrub(reason, secrets)) from exc
E           netra_diag.errors.ConnectFailed: could not connect to ws://127.0.0.1:9/ws: Connect \
call failed ('127.0.0.1', 9)

/work/main/netra_diag/live/handshake.py:265: ConnectFailed

During handling of the above exception, another exception occurred:

netra_session = <function netra_session.<locals>.open_session at 0x7f1ef61b6d40>

    @pytest.mark.asyncio
    async def test_refused_generic(netra_session):
        try:
            s = await netra_session("ws://127.0.0.1:9/ws", token=None, transport="none")
        except Exception:
>           assert False
E           assert False

test_live2.py:8: AssertionError"""


def _case() -> TestCase:
    problem = Problem(ProblemKind.FAILURE, message="assert False", text=TRACEBACK)
    return TestCase(
        test_id="test_live2::test_refused_generic",
        name="test_refused_generic",
        classname="test_live2",
        outcome=Outcome.FAILED,
        problems=(problem,),
    )


def test_the_signature_names_the_exception_the_test_ended_with() -> None:
    sig = signature_of(_case())
    assert sig is not None
    assert sig.exc_type == "AssertionError"  # was ConnectFailed, from the chained exception
    assert sig.message == "assert False"


def test_a_helper_defined_before_the_failing_line_is_not_its_function() -> None:
    assert innermost_frame(TRACEBACK) == "/work/main/netra_diag/live/handshake.py:open_socket"


def test_the_enclosing_function_is_still_found_in_an_ordinary_entry() -> None:
    text = (
        "    def helper(x):\n"
        "        y = x + 1\n"
        "        if y:\n"
        ">           raise ValueError(y)\n"
        "E           ValueError: 2\n"
        "\n"
        "src/app/util.py:4: ValueError"
    )
    assert innermost_frame(text) == "src/app/util.py:helper"
