"""Helpers for the reference-service tests: tokens, plain websockets clients, run collection."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

from timeouts import scaled
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from netra_diag.events import Event, parse_frame
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# What the mission-critical suite requires of each critical event (PROTOCOL.md §5), plus the ids
# every event of this service carries.
REQUIRED = {
    "agent_started": ("user_id", "thread_id", "timestamp", "run_id", "agent_name"),
    "agent_thinking": ("reasoning", "timestamp"),
    "tool_executing": ("tool_name", "parameters", "timestamp"),
    "tool_completed": ("tool_name", "results", "duration", "timestamp"),
    "agent_completed": ("status", "final_response", "timestamp"),
}


def token_for(sub: str = "u1", **kwargs: Any) -> str:
    now = kwargs.pop("now", time.time())
    key = kwargs.pop("key", LOCAL_DEV_SECRET)
    return mint_token(sub, key=key, now=now, **kwargs)


def golden(token: str) -> list[Subprotocol]:
    """The golden-path e2e test's subprotocols: ``["jwt-auth", "jwt.<base64url(jwt)>"]``."""
    from netra_diag.tokens import GOLDEN_PATH

    return [Subprotocol(s) for s in GOLDEN_PATH(token)]


async def open_ws(
    url: str,
    *,
    subprotocols: Sequence[str] | None = None,
    headers: dict[str, str] | None = None,
    max_size: int | None = 1 << 20,
) -> ClientConnection:
    return await connect(
        url,
        subprotocols=[Subprotocol(s) for s in subprotocols] if subprotocols else None,
        additional_headers=headers,
        max_size=max_size,
        open_timeout=scaled(10),
        close_timeout=scaled(5),
    )


async def recv_json(ws: ClientConnection, within: float = 5.0) -> dict[str, Any]:
    raw = await asyncio.wait_for(ws.recv(), scaled(within))
    value = json.loads(raw)
    assert isinstance(value, dict)
    return value


async def recv_event(ws: ClientConnection, within: float = 5.0) -> Event:
    raw = await asyncio.wait_for(ws.recv(), scaled(within))
    return parse_frame(raw)


async def established(ws: ClientConnection) -> dict[str, Any]:
    frame = await recv_json(ws)
    assert frame["type"] == "connection_established", frame
    data = frame["data"]
    assert isinstance(data, dict)
    return data


def user_message(content: str = "why did costs rise?", **payload: Any) -> str:
    return json.dumps({"type": "user_message", "payload": {"content": content, **payload}})


async def collect_run(
    ws: ClientConnection, within: float = 10.0, *, terminal: str = "agent_completed"
) -> list[Event]:
    """Events until (and including) ``terminal``; control frames are skipped."""
    events: list[Event] = []
    deadline = asyncio.get_running_loop().time() + scaled(within)
    while True:
        left = deadline - asyncio.get_running_loop().time()
        raw = await asyncio.wait_for(ws.recv(), max(left, 0.01))
        event = parse_frame(raw)
        if event.type in ("heartbeat", "pong", "ack", "heartbeat_ack"):
            continue
        events.append(event)
        if event.type == terminal:
            return events


async def close_code_after(ws: ClientConnection, within: float = 5.0) -> tuple[int | None, str]:
    """Read until the connection closes; the close code and reason the client saw."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), scaled(within))
    except ConnectionClosed as exc:
        rcvd = exc.rcvd
        return (rcvd.code if rcvd else None), (rcvd.reason if rcvd else "")


async def drain(ws: ClientConnection, quiet: float = 0.4, limit: float = 10.0) -> list[str]:
    """Every frame until the server has been quiet for ``quiet`` seconds (or the socket closed)."""
    frames: list[str] = []
    deadline = asyncio.get_running_loop().time() + scaled(limit)
    while asyncio.get_running_loop().time() < deadline:
        try:
            raw = await asyncio.wait_for(ws.recv(), scaled(quiet))
        except TimeoutError:
            break
        except ConnectionClosed:
            break
        frames.append(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))
    return frames
