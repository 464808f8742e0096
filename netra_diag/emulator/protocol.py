"""Classify one client frame the way the service does (PROTOCOL.md §4). Pure; never raises.

The body is read from ``payload`` when it is an object, otherwise from the whole frame; ``data`` is
never read, exactly as the service behaves (a client that puts its message under ``data`` gets
an ``INVALID_MESSAGE`` error frame, which is how that bug shows up).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "AGENT_REQUEST_TYPES",
    "HANDSHAKE_ACK_TYPE",
    "START_AGENT_TYPES",
    "USER_MESSAGE_TYPES",
    "ClientMessage",
    "MessageKind",
    "classify_message",
]

USER_MESSAGE_TYPES: Final = frozenset(
    {"user_message", "chat_message", "chat", "message", "user", "user_input"}
)
START_AGENT_TYPES: Final = frozenset({"start_agent", "execute_agent"})
AGENT_REQUEST_TYPES: Final = frozenset({"agent_request"})
# The client's answer to the newest generation's handshake_response (PROTOCOL.md §5).
HANDSHAKE_ACK_TYPE: Final = "handshake_acknowledged"


class MessageKind(StrEnum):
    PING = "ping"
    HEARTBEAT = "heartbeat"
    RUN = "run"  # starts an agent run
    INVALID_RUN = "invalid_run"  # a run request without content
    HANDSHAKE_ACK = "handshake_ack"  # ends the handshake; otherwise answered with ack
    UNKNOWN = "unknown"  # answered with ack
    BAD_JSON = "bad_json"  # answered with JSON_PARSE_ERROR


@dataclass(frozen=True)
class ClientMessage:
    """One classified client frame. For runs, ``content``, ``thread_id``, ``run_id``,
    ``agent_name`` and ``context`` are what the request carried (ids may be None: the service
    assigns them); for a handshake acknowledgement, ``thread_id`` and ``run_id`` it echoed."""

    kind: MessageKind
    type: Any = None  # the raw "type" value (any JSON value, echoed in ack's received_type)
    content: str = ""
    thread_id: str | None = None
    run_id: str | None = None
    agent_name: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    problem: str = ""


def _text(body: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return None


def _ident(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, str) and value:
        return value[:200]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def classify_message(raw: str | bytes) -> ClientMessage:
    """What the service does with ``raw``: answer a ping, start a run, ack, or report bad JSON."""
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            return ClientMessage(MessageKind.BAD_JSON, problem=f"binary frame is not UTF-8: {exc}")
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        return ClientMessage(MessageKind.BAD_JSON, problem=f"invalid JSON: {exc}"[:300])
    if not isinstance(frame, dict):
        # Valid JSON but not an object: the service's parser rejects it the same way.
        return ClientMessage(
            MessageKind.BAD_JSON, problem=f"expected a JSON object, got {type(frame).__name__}"
        )
    mtype = frame.get("type")
    if not isinstance(mtype, str):
        return ClientMessage(MessageKind.UNKNOWN, type=mtype)
    if mtype == "ping":
        return ClientMessage(MessageKind.PING, type=mtype)
    if mtype == "heartbeat":
        return ClientMessage(MessageKind.HEARTBEAT, type=mtype)
    payload = frame.get("payload")
    body: Mapping[str, Any] = payload if isinstance(payload, dict) else frame
    if mtype == HANDSHAKE_ACK_TYPE:
        return ClientMessage(
            MessageKind.HANDSHAKE_ACK,
            type=mtype,
            thread_id=_ident(body, "thread_id"),
            run_id=_ident(body, "run_id"),
        )
    if mtype in USER_MESSAGE_TYPES:
        content = _text(body, "content", "text", "message")
        where = "payload" if body is payload else "the frame"
        missing = f"{mtype} has no content/text/message in {where} (the service never reads 'data')"
        agent = None
    elif mtype in START_AGENT_TYPES:
        content = _text(body, "user_request", "content", "message")
        where = "payload" if body is payload else "the frame"
        missing = f"{mtype} has no user_request in {where} (the service never reads 'data')"
        agent = _ident(body, "agent_name") or _ident(body, "agent")
    elif mtype in AGENT_REQUEST_TYPES:
        content = _text(body, "message", "task")
        missing = f"{mtype} has no message/task (the service never reads 'data')"
        agent = _ident(body, "agent") or _ident(body, "agent_name")
    else:
        return ClientMessage(MessageKind.UNKNOWN, type=mtype)
    if content is None:
        return ClientMessage(MessageKind.INVALID_RUN, type=mtype, problem=missing)
    context = body.get("context")
    return ClientMessage(
        MessageKind.RUN,
        type=mtype,
        content=content,
        thread_id=_ident(body, "thread_id"),
        run_id=_ident(body, "run_id"),
        agent_name=agent,
        context=context if isinstance(context, dict) else {},
    )
