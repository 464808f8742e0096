"""A replay serves any path and any credentials, so a client with no token, another user's token
or the wrong endpoint still gets the whole recorded session: each replayed connection says what
the client brought that differs from the recording (tokens as fingerprints only)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from timeouts import TIMEOUT_FACTOR
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.live import Session
from netra_diag.live.replay import serve_cassette
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token


def token(sub: str) -> str:
    return mint_token(sub, key=LOCAL_DEV_SECRET, now=time.time())


async def play(url: str, **options: object) -> None:
    async with connect(url, **options) as ws:  # type: ignore[arg-type]
        await ws.recv()
        await ws.send(json.dumps({"type": "user_message", "payload": {"content": "hi"}}))
        async for message in ws:
            if json.loads(message)["type"] == "agent_completed":
                break


async def test_each_replayed_connection_says_what_the_client_brought(tmp_path: Path) -> None:
    cassette = tmp_path / "run.jsonl"
    timing = TimingProfile(time_scale=0, tool_calls=(1, 1))
    async with run_service(EmulatorConfig(auth=AuthMode.STRICT, timing=timing)) as svc:
        session = await Session.connect(svc.ws_url("/ws"), token=token("u1"), record=cassette)
        async with session:
            assert (await session.run("hello", timeout=30 * TIMEOUT_FACTOR)).ok

    other = token("u2")
    wrapped = base64.urlsafe_b64encode(token("u1").encode()).decode().rstrip("=")
    async with serve_cassette(cassette, repeat=True) as rs:
        base = rs.url.removesuffix("/ws")
        await play(
            f"{base}/ws", subprotocols=[Subprotocol("jwt-auth"), Subprotocol(f"jwt.{wrapped}")]
        )
        await play(f"{base}/api/v1/websocket")
        await play(f"{base}/ws", additional_headers={"Authorization": f"Bearer {other}"})
    same, bare, foreign = (o.notes for o in rs.outcomes)  # set when the upgrade is answered
    assert same == ()
    assert bare == (
        "the client asked for /api/v1/websocket, the recorded session for /ws: a replay serves "
        "any path, so this says nothing about the endpoint",
        "the client offered no credentials (the recorded session was user 'u1'): a replay checks "
        "no credentials, so this says nothing about auth",
    )
    (note,) = foreign
    assert note.startswith("the client offered a token for sub 'u2' (eyJ…#")
    assert "by Authorization header), the recorded session was user 'u1'" in note
    assert other not in note


def test_the_banner_says_replayed_server_timestamps_are_the_recordings_age() -> None:
    from netra_diag.cli.replay import _age_note
    from netra_diag.live.replay_plan import ConnectionPlan, ReplayPlan, ReplayStep

    one = ConnectionPlan(segments=((ReplayStep(0.0, "send", text="{}"),),))
    now = 1_800_000_000.0
    note = _age_note(ReplayPlan(connections=(one,), started_wall=now - 36 * 60), now)
    assert note == (
        "frames carry the server timestamps of the recording, made 36 min ago: a clock offset "
        "measured against this replay is that age, not clock skew"
    )
    assert "made 3 days ago" in _age_note(ReplayPlan((one,), started_wall=now - 3 * 86400), now)
    assert _age_note(ReplayPlan(connections=(one,)), now) == ""  # no started_wall recorded
