"""Live sessions with the agent service (I/O layer: the only place besides the emulator that
imports websockets and asyncio).

- ``Session.connect(url, token=..., transport="auto", record=...)`` — connect, send, run, ping,
  reconnect; ``session.run(message, timeout=...)`` → ``RunRecord``.
- ``HandshakeInfo`` / ``TransportAttempt`` — what the upgrade and ``connection_established`` said.
- ``AuthVerdict`` — server user id vs the token's ``sub`` (bypass detection).
- ``CloseInfo`` — every close explained (``netra_diag.closecodes``).
- ``ReconnectPolicy`` — exponential backoff with jitter, never after 1008.
- ``run_fanout`` — N concurrent users x M runs, recorded, with an isolation verdict.
- ``serve_cassette`` — replay a recording over a real WebSocket with its original timing.

Imports are explicit, one module at a time, so modules added later (fan-out, replay, isolation)
join this list without touching the others.
"""

from __future__ import annotations

from netra_diag.closecodes import CloseInfo, explain_close
from netra_diag.live.auth_verdict import AuthVerdict, is_synthetic_user, judge_auth
from netra_diag.live.fanout import FanoutResult, run_fanout
from netra_diag.live.handshake import HandshakeInfo, TransportAttempt
from netra_diag.live.reconnect import ReconnectPolicy
from netra_diag.live.records import ClockOffset, Mark, RunOutcome, RunRecord
from netra_diag.live.replay import (
    ReplayOutcome,
    ReplayPlan,
    ReplayServer,
    load_plan,
    plan_replay,
    serve_cassette,
)
from netra_diag.live.session import Session, SessionConnector

__all__ = [
    "AuthVerdict",
    "ClockOffset",
    "CloseInfo",
    "FanoutResult",
    "HandshakeInfo",
    "Mark",
    "ReconnectPolicy",
    "ReplayOutcome",
    "ReplayPlan",
    "ReplayServer",
    "RunOutcome",
    "RunRecord",
    "Session",
    "SessionConnector",
    "TransportAttempt",
    "explain_close",
    "is_synthetic_user",
    "judge_auth",
    "load_plan",
    "plan_replay",
    "run_fanout",
    "serve_cassette",
]
