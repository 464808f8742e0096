"""A service that starts the newest generation's handshake without announcing it in
``connection_established`` still gets its ``handshake_acknowledged`` (from the session's reader),
and the run that follows completes. Hand-made server on a loopback port."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

from netra_diag.live import RunOutcome, Session
from netra_diag.recording import load_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

USER = "user-late-handshake"


async def late_handshake(ws: ServerConnection) -> None:
    await ws.send(json.dumps({"type": "connection_established", "data": {"user_id": USER}}))
    await asyncio.sleep(0.05)  # after Session.connect has returned
    await ws.send(json.dumps({"type": "handshake_response", "thread_id": "t9", "run_id": "r9"}))
    acked = False
    async for message in ws:
        frame = json.loads(message)
        if frame.get("type") == "handshake_acknowledged":
            acked = frame.get("thread_id") == "t9" and frame.get("run_id") == "r9"
            await ws.send(json.dumps({"type": "handshake_complete", "thread_id": "t9"}))
        elif frame.get("type") == "user_message":
            if not acked:
                await ws.send(json.dumps({"type": "error", "error_code": "HANDSHAKE_INCOMPLETE"}))
                continue
            for etype in ("agent_started", "agent_thinking", "agent_completed"):
                await ws.send(
                    json.dumps({"type": etype, "thread_id": "t9", "run_id": "r9", "user_id": USER})
                )


async def test_a_handshake_started_after_connect_is_answered(tmp_path: Path) -> None:
    async with serve(late_handshake, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        token = mint_token(USER, key=LOCAL_DEV_SECRET, now=time.time())
        cassette = tmp_path / "late.jsonl"
        async with asyncio.timeout(10):
            async with Session.connect(
                f"ws://127.0.0.1:{port}/ws", token=token, record=cassette, ping_every=None
            ) as session:
                await asyncio.sleep(0.3)  # the handshake arrives and is answered meanwhile
                record = await session.run("go", timeout=5, thread_id="t9")
    assert record.outcome is RunOutcome.COMPLETED, record.error
    out = [f.type for f in load_cassette(cassette).frames if f.dir == "out"]
    assert "handshake_acknowledged" in out
    assert out.index("handshake_acknowledged") < out.index("user_message")
