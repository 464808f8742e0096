"""While the newest generation's handshake waits for the client, the service still sends its idle
heartbeat (PROTOCOL.md §6: after the idle timeout without a client frame): it used to stay
silent for the whole handshake wait, whatever --idle-heartbeat said."""

from __future__ import annotations

import json

from emulator_testkit import golden, open_ws, token_for
from websockets.exceptions import ConnectionClosed

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service


async def test_heartbeats_while_the_handshake_waits() -> None:
    config = EmulatorConfig(
        timing=TimingProfile.instant(),
        handshake=True,
        handshake_timeout_s=1.5,
        idle_heartbeat_s=0.3,
    )
    types: list[str] = []
    async with (
        run_service(config) as svc,
        await open_ws(svc.url, subprotocols=golden(token_for())) as ws,
    ):
        try:
            async for raw in ws:
                types.append(json.loads(raw)["type"])
        except ConnectionClosed:
            pass
        code = ws.close_code
    assert types[:2] == ["connection_established", "handshake_response"], types
    assert types[-1] == "error_message" and code == 1008, (types, code)
    assert 3 <= types.count("heartbeat") <= 5, types
