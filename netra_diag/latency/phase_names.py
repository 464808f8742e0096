"""The names of what the latency walk measures (``Phase``: one metric row each, documented in
``netra_diag.latency.metrics``) and of the liveness frames it reads apart from the session's
answers (PROTOCOL.md §4, §6): the pings a client sends and the pongs that answer them
(``ping_rtt``), and the heartbeats either side sends, none of which is a run's first frame.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["LIVENESS", "PING_TYPES", "PONG_TYPES", "Phase"]


class Phase(StrEnum):
    """What a metric row measures; ``netra_diag.latency.metrics`` documents each one."""

    CONNECT = "connect"
    AUTH = "auth"
    HANDSHAKE = "handshake"
    TIME_TO_ESTABLISHED = "time_to_established"
    RECONNECT = "reconnect"
    FIRST_FRAME = "first_frame"
    FIRST_EVENT = "first_event"
    FIRST_THINKING = "first_thinking"
    TOOL_DURATION = "tool_duration"
    EVENT_GAP = "event_gap"
    EVENT_LATENCY = "event_latency"
    RUN_TOTAL = "run_total"
    PING_RTT = "ping_rtt"


PING_TYPES = frozenset({"ping", "heartbeat"})
PONG_TYPES = frozenset({"pong", "heartbeat_ack"})
LIVENESS = frozenset({"heartbeat", "pong", "heartbeat_ack"})
