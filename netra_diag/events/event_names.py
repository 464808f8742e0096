"""The protocol's event vocabulary (PROTOCOL.md §4, §5): which frame types are the five critical
events, which end a run, which are agent, control or error frames, which client frames ask for a
run, and the old names that mean another type. The contract checks, the timeline, the latency
phases and the emulator all read these one lists. Pure data.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AGENT_EVENTS",
    "CONTROL_EVENTS",
    "CRITICAL_EVENTS",
    "ERROR_EVENTS",
    "REQUEST_TYPES",
    "TERMINAL_EVENTS",
    "TYPE_ALIASES",
]

CRITICAL_EVENTS: tuple[str, ...] = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
)
# Client frames that ask the agent for a run (PROTOCOL.md §4, with the aliases clients send).
REQUEST_TYPES: frozenset[str] = frozenset(
    {
        "user_message",
        "chat_message",
        "chat",
        "message",
        "user",
        "user_input",
        "start_agent",
        "execute_agent",
        "agent_request",
    }
)
# Some of the service's tests accept these as the end of a run besides agent_completed.
TERMINAL_EVENTS: frozenset[str] = frozenset({"agent_completed", "final_report", "agent_error"})
AGENT_EVENTS: frozenset[str] = frozenset(
    {
        *CRITICAL_EVENTS,
        "agent_error",
        "agent_death",
        "progress_update",
        "partial_result",
        "final_report",
        "stream_chunk",
        "tool_error",
    }
)
CONTROL_EVENTS: frozenset[str] = frozenset(
    {
        "connection_established",
        "heartbeat",
        "heartbeat_ack",
        "pong",
        "ack",
        "handshake_response",
        "handshake_complete",
    }
)
ERROR_EVENTS: frozenset[str] = frozenset({"error", "error_message"})
# agent_failed and agent_fallback normalise to agent_error (PROTOCOL.md §5).
TYPE_ALIASES: Mapping[str, str] = {"agent_failed": "agent_error", "agent_fallback": "agent_error"}
