"""Render one event in each envelope variant the service's generations send (PROTOCOL.md §5).

Pure: the caller passes ``now``. Variants:

- (a) server message: ``{"type", "data": {...}, "timestamp": float, "server_id", "correlation_id"}``
- (b) bridge event: ``{"type", "run_id", "user_id", "agent_name", "timestamp": ISO, "data"}``, tool
  events also with top-level ``tool_name`` (and ``results`` on ``tool_completed``)
- (c) emitter event: flat, ``"critical": true``; ``timestamp`` alternates ISO string and float
- (d) old fallback: flat, ``"event"`` repeats ``"type"``, float ``timestamp``
- (e) newest: ``{"type": "system_message", "event": ..., "payload": {...}}``; every other event
  splits its fields into ``payload`` (ids) and ``data`` (content), which a client must merge

Control frames (``connection_established``, ``pong``, ``ack``, errors, ...) have one shape each,
whatever the variant, as in the service.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

__all__ = [
    "GOLDEN_PATH_EVENTS",
    "VARIANTS",
    "ack_frame",
    "choose_variant",
    "connection_established_frame",
    "error_frame",
    "iso_timestamp",
    "render_event",
    "simple_frame",
]

VARIANTS: Final = ("a", "b", "c", "d", "e")
GOLDEN_PATH_EVENTS: Final = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
)
_ID_KEYS: Final = ("run_id", "thread_id", "user_id", "request_id", "agent_name")


def iso_timestamp(now: float) -> str:
    """``2025-09-14T16:30:01.250Z``, as the bridge writes it."""
    text = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def choose_variant(configured: str, rng: random.Random) -> str:
    """The variant for one event: ``configured`` itself, or a seeded pick for ``mixed``."""
    if configured == "mixed":
        return VARIANTS[rng.randrange(len(VARIANTS))]
    return configured


def render_event(
    etype: str,
    fields: Mapping[str, Any],
    variant: str,
    *,
    now: float,
    seq: int,
    server_id: str,
) -> dict[str, Any]:
    """The wire object for event ``etype`` with ``fields`` in ``variant`` (``a``..``e``)."""
    body = {k: v for k, v in fields.items() if k not in ("type", "timestamp")}
    if variant == "a":
        run = body.get("run_id", "run")
        return {
            "type": etype,
            "data": body,
            "timestamp": now,
            "server_id": server_id,
            "correlation_id": f"{run}:{seq}",
        }
    if variant == "b":
        top: dict[str, Any] = {
            "type": etype,
            "run_id": body.get("run_id"),
            "user_id": body.get("user_id"),
            "agent_name": body.get("agent_name"),
            "timestamp": iso_timestamp(now),
        }
        data = {k: v for k, v in body.items() if k not in ("run_id", "user_id", "agent_name")}
        if "tool_name" in body:
            top["tool_name"] = body["tool_name"]
        if etype == "tool_completed":
            top["results"] = body.get("results")
            data["result"] = body.get("results")
            duration = body.get("duration")
            if isinstance(duration, int | float):
                data["execution_time_ms"] = round(duration * 1000.0, 3)
        top["data"] = data
        return top
    if variant == "c":
        stamp: Any = iso_timestamp(now) if seq % 2 else now
        return {"type": etype, "critical": True, **body, "timestamp": stamp}
    if variant == "d":
        return {"type": etype, "event": etype, **body, "timestamp": now}
    if variant == "e":
        extra: dict[str, Any] = {}
        duration = body.get("duration")
        if etype == "tool_completed" and isinstance(duration, int | float):
            extra["duration_ms"] = round(duration * 1000.0, 3)
        if seq % 2:
            ids = {k: body[k] for k in _ID_KEYS if k in body}
            rest = {k: v for k, v in body.items() if k not in ids}
            return {
                "type": "system_message",
                "event": etype,
                "payload": {**ids, "timestamp": now},
                "data": {**rest, **extra},
            }
        return {
            "type": "system_message",
            "event": etype,
            "payload": {**body, **extra, "timestamp": now},
        }
    raise ValueError(f"unknown envelope variant {variant!r}; expected one of {VARIANTS}")


def simple_frame(ftype: str, now: float, **fields: Any) -> dict[str, Any]:
    """A flat control frame: ``pong``, ``heartbeat``, ``heartbeat_ack``."""
    return {"type": ftype, **fields, "timestamp": now}


def ack_frame(received_type: Any, now: float) -> dict[str, Any]:
    """The service's answer to a message type it does not handle (PROTOCOL.md §4)."""
    return {
        "type": "ack",
        "received_type": received_type,
        "status": "acknowledged",
        "timestamp": now,
    }


def error_frame(
    code: str,
    message: str,
    now: float,
    *,
    details: Mapping[str, Any] | None = None,
    suggestions: Sequence[str] = (),
) -> dict[str, Any]:
    return {
        "type": "error_message",
        "error_code": code,
        "error_message": message,
        "details": dict(details or {}),
        "recovery_suggestions": list(suggestions),
        "timestamp": now,
    }


def connection_established_frame(
    *,
    mode: str,
    user_id: str,
    connection_id: str,
    now: float,
    server_id: str,
    heartbeat_interval: float,
) -> dict[str, Any]:
    """Sent once auth succeeded; the service truncates ``user_id`` to 8 characters plus ``...``."""
    shown = user_id if len(user_id) <= 8 else user_id[:8] + "..."
    return {
        "type": "connection_established",
        "data": {
            "mode": mode,
            "user_id": shown,
            "connection_id": connection_id,
            "golden_path_events": list(GOLDEN_PATH_EVENTS),
            "features": {
                "agent_events": True,
                "tool_events": True,
                "heartbeat": True,
                "thread_routing": True,
                "heartbeat_interval": heartbeat_interval,
            },
        },
        "timestamp": now,
        "server_id": server_id,
    }
