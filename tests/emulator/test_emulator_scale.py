"""The service holds 1,000 concurrent authenticated connections (a few seconds on a laptop)."""

from __future__ import annotations

import asyncio
import json
import resource

from emulator_testkit import collect_run, golden, scaled, token_for, user_message
from websockets.asyncio.client import ClientConnection, connect

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.emulator.server import raise_nofile_limit

N = 1000


async def test_thousand_concurrent_authenticated_connections() -> None:
    assert raise_nofile_limit() >= min(4 * N, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    timing = TimingProfile(time_scale=0.0, thinking_steps=(1, 1), tool_calls=(1, 1))
    async with run_service(EmulatorConfig(timing=timing)) as svc:
        tokens = [token_for(f"user-{i:04d}") for i in range(20)]
        gate = asyncio.Semaphore(100)  # bound the handshakes in flight, not the connections

        async def join(i: int) -> tuple[ClientConnection, str]:
            async with gate:
                ws = await connect(
                    svc.url, subprotocols=golden(tokens[i % 20]), open_timeout=scaled(30)
                )
                first = json.loads(await asyncio.wait_for(ws.recv(), scaled(30)))
                assert first["type"] == "connection_established"
                return ws, first["data"]["connection_id"]

        joined = await asyncio.gather(*(join(i) for i in range(N)))
        conns = [ws for ws, _ in joined]
        assert len({cid for _, cid in joined}) == N
        assert svc.active_connections == N
        # every connection is alive and answers
        await asyncio.gather(*(ws.send(json.dumps({"type": "ping"})) for ws in conns))
        pongs = await asyncio.gather(*(asyncio.wait_for(ws.recv(), scaled(30)) for ws in conns))
        assert all(json.loads(p)["type"] == "pong" for p in pongs)
        # runs on a sample of them go only to their own connection and thread
        sample = conns[::50]
        for k, ws in enumerate(sample):
            await ws.send(user_message(f"question {k}", thread_id=f"thread-{k}"))
        runs = await asyncio.gather(*(collect_run(ws, within=30) for ws in sample))
        for k, events in enumerate(runs):
            assert {e.thread_id for e in events} == {f"thread-{k}"}
        await asyncio.gather(*(ws.close() for ws in conns))
