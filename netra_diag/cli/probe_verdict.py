"""What ``netra-diag probe`` concludes from one session: the contract problems of what it
received, the newest generation's handshake left unfinished, and the exit code (timeout >
connection > contract/auth > ok)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.closecodes import AUTH_FAILURE_CODES

if TYPE_CHECKING:
    from netra_diag.events.model import TimedEvent
    from netra_diag.live import RunRecord, Session

__all__ = ["exit_code_for", "handshake_problems", "minimal_contract_problems"]


def minimal_contract_problems(
    run: RunRecord, events: Sequence[TimedEvent] | None = None
) -> list[str]:
    """Error findings of ``events.contracts.check_run`` over ``events`` (default: the run's own
    events; ``probe`` passes everything the session received, so that a frame arriving after
    the terminal event, an oversized or unreadable one included, is judged as well as one
    arriving before it); where that module is missing, a minimal check of the run: the 5
    critical events present, ``agent_started`` first, ``agent_completed`` last."""
    try:
        from netra_diag.events.contracts import check_run
    except ImportError:
        pass
    else:
        stream = run.events if events is None else events
        return [str(getattr(f, "message", f)) for f in check_run(stream).errors]
    from netra_diag.events.model import CRITICAL_EVENTS

    problems: list[str] = []
    types = [e.type for e in run.agent_events]
    missing = [t for t in CRITICAL_EVENTS if t not in types]
    if missing:
        problems.append(f"critical events never observed: {', '.join(missing)}")
    if types and types[0] != "agent_started":
        problems.append(f"first agent event is {types[0]}, not agent_started")
    if types and types[-1] != "agent_completed":
        problems.append(f"last agent event is {types[-1]}, not agent_completed")
    return problems


def handshake_problems(marks: Sequence[Any]) -> list[str]:
    """The newest generation's handshake left unfinished (PROTOCOL.md §5): the client answered
    ``handshake_response`` and waited its establish timeout for a ``handshake_complete`` that
    never came (an ``establish_timeout`` mark awaiting it), then went on. That generation refuses
    requests until it; a client that waits for it, as it must, never sends its message."""
    out = []
    for mark in marks:
        if mark.name == "establish_timeout" and mark.data.get("awaiting") == "handshake_complete":
            waited = mark.data.get("waited_s")
            within = f" within {waited:g} s" if isinstance(waited, int | float) else ""
            out.append(
                f"handshake_complete never arrived{within} after handshake_response was "
                "acknowledged (newest generation, PROTOCOL.md §5): the service refuses requests "
                "until it, so a client that waits for it never sends its message; the probe went "
                "on without it"
            )
    return out


def exit_code_for(run: RunRecord | None, session: Session | None, problems: list[str]) -> ExitCode:
    """Timeout > connection > contract/auth > ok."""
    from netra_diag.live import RunOutcome

    if run is not None and run.outcome is RunOutcome.TIMEOUT:
        return ExitCode.TIMEOUT
    if run is not None and run.outcome is RunOutcome.CLOSED:
        code = run.close.code if run.close else None
        return ExitCode.CONTRACT if code in AUTH_FAILURE_CODES else ExitCode.CONNECTION
    if session is not None and session.auth.bypass:
        return ExitCode.CONTRACT
    if problems or (run is not None and not run.ok):
        return ExitCode.CONTRACT
    return ExitCode.OK
