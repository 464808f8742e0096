"""Synthetic cassettes in the documented line format (docs/cassette-format.md), written by hand
so the latency tests do not depend on the recorder."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WALL0 = 1_764_028_800.0


@dataclass
class CassetteBuilder:
    user: str = "u1"
    labels: dict[str, str] = field(default_factory=dict)
    wall0: float = WALL0
    lines: list[dict[str, Any]] = field(default_factory=list)

    def mark(self, name: str, t_ms: float, **data: Any) -> None:
        self.lines.append(
            {
                "kind": "mark",
                "name": name,
                "t_ns": round(t_ms * 1e6),
                "wall": self.wall0 + t_ms / 1e3,
                "data": data,
            }
        )

    def frame(self, direction: str, t_ms: float, obj: dict[str, Any]) -> None:
        text = json.dumps(obj)
        etype = obj.get("type", "")
        if etype == "system_message":
            etype = obj.get("event", etype)
        line: dict[str, Any] = {
            "kind": "frame",
            "dir": direction,
            "t_ns": round(t_ms * 1e6),
            "wall": self.wall0 + t_ms / 1e3,
            "size": len(text),
            "type": etype,
            "text": text,
        }
        for key in ("run_id", "thread_id", "user_id"):
            if key in obj:
                line[key] = obj[key]
        self.lines.append(line)

    def server_ts(self, t_ms: float, lag_ms: float) -> float:
        """The server timestamp of an event the client saw at ``t_ms``, ``lag_ms`` earlier."""
        return self.wall0 + (t_ms - lag_ms) / 1e3

    def connect(self, t_ms: float, connect_ms: float, auth_ms: float) -> float:
        self.mark("connect_start", t_ms, transport="subprotocol", attempt=1)
        self.mark("upgrade_done", t_ms + connect_ms, status=101, subprotocol="jwt-auth")
        est = t_ms + connect_ms + auth_ms
        self.frame("in", est, {"type": "connection_established", "data": {"user_id": self.user}})
        self.mark("connection_established", est, user_id=self.user)
        return est

    def run(
        self,
        start_ms: float,
        gaps_ms: Sequence[float],
        *,
        run_id: str,
        first_ms: float = 50.0,
        lag_ms: float = 5.0,
        tool: str | None = "cost_analyzer",
        server_duration_ms: float | None = None,
        terminal: bool = True,
    ) -> float:
        """A run: message_sent at ``start_ms``; agent_started ``first_ms`` later; then one event
        per gap (thinking, then tool_executing / tool_completed when ``tool``, then thinking
        …), ending with agent_completed when ``terminal``. Returns the last event time."""
        thread = f"t-{run_id}"
        self.mark("message_sent", start_ms, type="user_message", thread_id=thread)
        self.frame(
            "out",
            start_ms,
            {"type": "user_message", "payload": {"content": "hi", "thread_id": thread}},
        )
        t = start_ms + first_ms
        base = {"run_id": run_id, "thread_id": thread, "user_id": self.user}
        self.frame(
            "in", t, {"type": "agent_started", **base, "timestamp": self.server_ts(t, lag_ms)}
        )
        kinds = []
        for i in range(len(gaps_ms)):
            last = i == len(gaps_ms) - 1
            if last and terminal:
                kinds.append("agent_completed")
            elif tool and i == 1:
                kinds.append("tool_executing")
            elif tool and i == 2:
                kinds.append("tool_completed")
            else:
                kinds.append("agent_thinking")
        for gap, kind in zip(gaps_ms, kinds, strict=True):
            t += gap
            obj: dict[str, Any] = {"type": kind, **base, "timestamp": self.server_ts(t, lag_ms)}
            if kind.startswith("tool_"):
                obj["tool_name"] = tool
            if kind == "tool_completed" and server_duration_ms is not None:
                obj["duration"] = server_duration_ms / 1000.0
            if kind == "agent_thinking":
                obj["reasoning"] = "..."
            self.frame("in", t, obj)
        return t

    def write(self, path: Path) -> Path:
        header = {
            "kind": "header",
            "format": "netra-cassette",
            "version": 1,
            "endpoint": "ws://127.0.0.1:8000/ws",
            "transport": "subprotocol",
            "token_fingerprint": "eyJ…#a1b2c3d4",
            "user": self.user,
            "tool_version": "0.1.0",
            "started_wall": self.wall0,
            "labels": self.labels,
        }
        with path.open("w", encoding="utf-8") as fh:
            for line in (header, *self.lines):
                fh.write(json.dumps(line, ensure_ascii=False) + "\n")
        return path


def healthy_session(
    path: Path,
    *,
    user: str = "u1",
    runs: int = 3,
    events: int = 25,
    gap_ms: float = 10.0,
    lag_ms: float = 5.0,
    connect_ms: float = 12.0,
    labels: dict[str, str] | None = None,
) -> Path:
    """A session that meets PROTOCOL.md §8: fast connect, fast events, one quick reconnect."""
    b = CassetteBuilder(user=user, labels=labels or {"nodeid": f"tests/x.py::{user}"})
    t = b.connect(0.0, connect_ms, 8.0)
    # An event cannot reach the client ``lag_ms`` after the server stamped it unless the request
    # went out at least that long before: the first event comes no sooner.
    first_ms = max(50.0, lag_ms + 10.0)
    for r in range(runs):
        t = b.run(
            t + 100, [gap_ms] * events, run_id=f"{user}-r{r}", lag_ms=lag_ms, first_ms=first_ms
        )
    b.mark("close", t + 50, code=1006, reason="")
    b.mark("reconnect_attempt", t + 51, attempt=1, delay_s=1.0)
    b.connect(t + 1051, connect_ms, 8.0)
    b.mark("reconnected", t + 1051 + connect_ms + 8.0, attempt=1)
    b.mark("ping_rtt", t + 1200, kind="app", rtt_ms=2.5)
    return b.write(path)
