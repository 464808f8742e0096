"""Where in a session a test failed: collection, setup, connect, auth, first event, tool,
completion or teardown.

The runner tells collection / setup / teardown (pytest's stage); the rest comes from the message
and traceback, and, when the test is linked to a recording, from what the recording saw: no
upgrade means the connect failed, a 1008 close means auth, frames but no agent event mean the
first event never came (PROTOCOL.md §5 and §6).
"""

from __future__ import annotations

import re
from enum import StrEnum

from netra_diag.suites.categories import Category, evidence_of
from netra_diag.suites.links import Recording
from netra_diag.suites.model import TestCase

__all__ = ["Phase", "phase_of"]


class Phase(StrEnum):
    COLLECTION = "collection"
    SETUP = "setup"
    CONNECT = "connect"
    AUTH = "auth"
    FIRST_EVENT = "first event"
    TOOL = "tool"
    COMPLETION = "completion"
    TEARDOWN = "teardown"
    UNKNOWN = "unknown"


_BY_CATEGORY = {
    Category.TOKEN_HELPER_DRIFT: Phase.SETUP,
    Category.SETUP_METHOD_AWAIT: Phase.SETUP,
    Category.SECRET_CLAIM_MISMATCH: Phase.AUTH,
    Category.SUBPROTOCOL_FORMAT: Phase.AUTH,
    Category.VACUOUS_PASS: Phase.AUTH,
}
_TOOL = re.compile(r"tool_executing|tool_completed|tool_error|\btool\b", re.I)
_NODE_CANCELLED = "cancelledByParent"  # (node's failure type for a test its parent cancelled)
_COMPLETION = re.compile(r"agent_completed|final_report|did not finish|RunTimeout|terminal", re.I)
_FIRST = re.compile(
    r"agent_started|first (?:event|frame)|no events?\b|connection_established|agent_thinking"
    r"|after the first|received 0 events",
    re.I,
)
_CONNECT = re.compile(
    r"refused|Connect call failed|Errno 11[01]|getaddrinfo|Name or service|HTTP 50[234]|"
    r"opening handshake|ConnectFailed|unreachable|not running|InvalidStatus|InvalidHandshake"
    r"|(?:timed out|timeout) (?:while )?connecting|could not connect|connect(?:ion)? timed out",
    re.I,
)


def phase_of(case: TestCase, category: Category, recording: Recording | None = None) -> Phase:
    """The session phase in which ``case`` failed (``UNKNOWN`` when nothing tells)."""
    problem = case.primary
    runner_phase = problem.phase if problem else ""
    if runner_phase == "collection":
        return Phase.COLLECTION
    if runner_phase == "teardown":
        return Phase.TEARDOWN
    completed = False  # its recording shows the session through to a terminal event
    if recording is not None:
        seen = recording.phase_reached()
        if seen is not None:
            return Phase(seen)
        completed = recording.readable
    guess = _guessed(case, category, runner_phase)
    if completed and guess in (Phase.CONNECT, Phase.AUTH):
        # ("refused" in an assertion on what the session received): the recording shows it
        # connected and ran to the end, so the test failed on what came after
        return Phase.COMPLETION
    return guess


def _guessed(case: TestCase, category: Category, runner_phase: str) -> Phase:
    """``phase_of`` from the runner's word, the category and the failure's text alone."""
    if category is Category.IMPORT_CONFIG and runner_phase == "setup":
        # (an import in a fixture: collection, had it been one, the runner would have said)
        return Phase.SETUP
    if category in _BY_CATEGORY:
        return _BY_CATEGORY[category]
    if case.primary is not None and case.primary.type == _NODE_CANCELLED:
        # node's "test did not finish before its parent and was cancelled": its describe's
        # before hook threw (node writes that error nowhere) or its parent ended first; its
        # body never ran, or not to the end: no "did not finish" of the session's completion
        return Phase.SETUP
    text = evidence_of(case)
    if _TOOL.search(text):
        return Phase.TOOL
    if _COMPLETION.search(text):
        return Phase.COMPLETION
    if _FIRST.search(text):
        return Phase.FIRST_EVENT
    if category is Category.INTERNAL_1011:
        return Phase.FIRST_EVENT  # §9.7: right after auth or the first client message
    if _CONNECT.search(text):
        return Phase.CONNECT
    if category is Category.WEBSOCKETS_API:
        return Phase.CONNECT
    if runner_phase == "setup":
        return Phase.SETUP
    return Phase.UNKNOWN
