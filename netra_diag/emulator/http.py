"""The plain-HTTP routes the service answers on its WebSocket port (PROTOCOL.md §1, §2).

``GET /ws/health``, ``GET /ws/config`` and ``POST /api/websocket/ticket`` are answered from the
websockets ``process_request`` hook, so they share the port as in the service. Request bodies are
not read (websockets' HTTP parser refuses them); the ticket route needs only its Bearer header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, Final

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from netra_diag.emulator.auth import Authenticator
from netra_diag.emulator.config import EmulatorConfig
from netra_diag.tokens import extract_from_header
from netra_diag.tokens.extraction import PLAIN_SUBPROTOCOLS

__all__ = [
    "CONFIG_PATH",
    "HEALTH_PATH",
    "TICKET_PATH",
    "config_body",
    "health_body",
    "json_response",
    "ticket_response",
]

HEALTH_PATH: Final = "/ws/health"
CONFIG_PATH: Final = "/ws/config"
TICKET_PATH: Final = "/api/websocket/ticket"


def json_response(status: int, body: Mapping[str, Any]) -> Response:
    payload = json.dumps(body, sort_keys=True).encode()
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(payload))),
            ("Cache-Control", "no-store"),
            ("Connection", "close"),
        ]
    )
    return Response(status, HTTPStatus(status).phrase, headers, payload)


def health_body(config: EmulatorConfig, active: int, now: float) -> dict[str, Any]:
    return {
        "status": "healthy",
        "service": "websocket",
        "server_id": config.server_id,
        "active_connections": active,
        "auth_mode": config.auth.value,
        "timestamp": now,
    }


def config_body(config: EmulatorConfig) -> dict[str, Any]:
    """The service's static client configuration (PROTOCOL.md §1)."""
    return {
        "heartbeat_interval": 30,
        "connection_timeout": 300,
        "max_message_size": config.max_message_size,
        # Every plain name the upgrade selects, from the same list (agent_chat was missing).
        "supported_subprotocols": list(PLAIN_SUBPROTOCOLS),
        "endpoints": ["/ws", "/api/v1/websocket", "/ws/factory", "/ws/isolated"],
    }


def ticket_response(request: Request, auth: Authenticator, ws_url: str, now: float) -> Response:
    """Exchange a Bearer token for a single-use WebSocket ticket; 401 when the token does not
    authenticate under the configured mode (in DEMO/EMERGENCY mode every request gets a ticket
    for the synthetic user, as every upgrade would). ``websocket_url`` is the service's main
    endpoint, whatever path the client will use."""
    header = request.headers.get("Authorization")
    token = extract_from_header(header) if header else None
    if not token:
        return json_response(
            401, {"error": "missing bearer token", "detail": "send Authorization: Bearer <jwt>"}
        )
    decision = auth.decide_bearer(token, now)
    if not decision.ok or decision.user_id is None:
        return json_response(401, {"error": "invalid token", "detail": decision.reason})
    ttl = auth.config.ticket_ttl_s
    ticket, expires_at = auth.tickets.issue(decision.user_id, now, ttl)
    return json_response(
        200,
        {
            "ticket_id": ticket,
            "expires_at": expires_at,
            "ttl_seconds": ttl,
            "websocket_url": ws_url,
        },
    )
