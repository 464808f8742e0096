"""How much the reference service costs over a bare websockets server, measured in the same run.

1. Concurrent connections: open N (default 1,000) connections, each waiting for its first frame.
   The service authenticates every one (strict mode, golden-path subprotocol, HS256 verification)
   and sends ``connection_established``; the bare server sends one pre-rendered frame.
   Reported: connect rate and the server process's resident memory per connection.
2. Events per second on one connection: the service runs agents with ``time_scale=0`` (no sleeps)
   and renders, routes and sends every event; the bare server sends pre-rendered frames of the
   same size in a tight loop.

Each server runs in its own process (so the client does not share its CPU) on 127.0.0.1, with
websockets' defaults on both sides (permessage-deflate negotiated; ``--no-compression`` turns it
off for both). Usage::

    .venv/bin/python benchmarks/bench_emulator.py [--connections 1000] [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service
from netra_diag.emulator.envelopes import connection_established_frame, render_event
from netra_diag.tokens import GOLDEN_PATH, LOCAL_DEV_SECRET, mint_token

__all__ = ["main"]

# 10 thinking steps and 10 tool pairs: 32 events per run.
THINK, TOOLS = 10, 10
# permessage-deflate on both sides (websockets' default) unless --no-compression.
_COMPRESSION = [True]
EVENTS_PER_RUN = 1 + THINK + 2 * TOOLS + 1


def _sample_frames() -> tuple[str, str]:
    """A pre-rendered ``connection_established`` and a typical agent event, as the service sends."""
    now = time.time()
    established = connection_established_frame(
        mode="main",
        user_id="bench-user",
        connection_id="conn_0123456789abcdef",
        now=now,
        server_id="bare",
        heartbeat_interval=15.0,
    )
    fields = {
        "run_id": "run_0123456789abcdef",
        "thread_id": "thread_0123456789abcdef",
        "user_id": "bench-user",
        "request_id": "req_0123456789abcdef",
        "agent_name": "triage",
        "reasoning": "Comparing this week's figures with the previous baseline",
        "thought": "Comparing this week's figures with the previous baseline",
        "step_number": 3,
        "progress_percentage": 40,
    }
    event = render_event("agent_thinking", fields, "a", now=now, seq=3, server_id="bare")
    return json.dumps(established, separators=(",", ":")), json.dumps(event, separators=(",", ":"))


# -- server processes -----------------------------------------------------------------------------


async def _wait_stdin_closed() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def _serve_emulator() -> None:
    timing = TimingProfile(time_scale=0.0, thinking_steps=(THINK, THINK), tool_calls=(TOOLS, TOOLS))
    config = EmulatorConfig(timing=timing, idle_heartbeat_s=3600, compression=_COMPRESSION[0])
    async with run_service(config) as svc:
        print(svc.port, flush=True)
        await _wait_stdin_closed()


async def _serve_bare() -> None:
    established, event = _sample_frames()

    async def handler(ws: ServerConnection) -> None:
        await ws.send(established)
        async for message in ws:
            if isinstance(message, str) and message.startswith("burst:"):
                for _ in range(int(message[6:])):
                    await ws.send(event)
            else:
                await ws.send('{"type":"pong"}')

    deflate = "deflate" if _COMPRESSION[0] else None
    async with serve(handler, "127.0.0.1", 0, compression=deflate) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await _wait_stdin_closed()


def _deflate() -> str | None:
    return "deflate" if _COMPRESSION[0] else None


class ServerProcess:
    def __init__(self, kind: str) -> None:
        flags = [] if _COMPRESSION[0] else ["--no-compression"]
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, *flags],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def rss_kib(self) -> int:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- client measurements --------------------------------------------------------------------------


async def _open_many(
    url: str, subprotocols: Sequence[Subprotocol] | None, n: int
) -> tuple[list[ClientConnection], float]:
    gate = asyncio.Semaphore(100)

    async def one() -> ClientConnection:
        async with gate:
            ws = await connect(
                url, subprotocols=subprotocols, open_timeout=60, compression=_deflate()
            )
            await asyncio.wait_for(ws.recv(), 60)
            return ws

    start = time.perf_counter()
    conns = await asyncio.gather(*(one() for _ in range(n)))
    return conns, time.perf_counter() - start


async def measure_connections(
    server: ServerProcess, subprotocols: Sequence[Subprotocol] | None, n: int
) -> tuple[float, float]:
    """(connections per second, server RSS growth per connection in KiB)."""
    url = f"ws://127.0.0.1:{server.port}/ws"
    # Warm up imports, caches and allocator arenas before the memory baseline.
    warm, _ = await _open_many(url, subprotocols, 20)
    await asyncio.gather(*(ws.close() for ws in warm))
    await asyncio.sleep(0.2)
    before = server.rss_kib()
    conns, elapsed = await _open_many(url, subprotocols, n)
    await asyncio.sleep(0.2)
    after = server.rss_kib()
    # Every connection is still open and served.
    await asyncio.gather(*(ws.send('{"type":"ping"}') for ws in conns))
    await asyncio.gather(*(asyncio.wait_for(ws.recv(), 60) for ws in conns))
    await asyncio.gather(*(ws.close() for ws in conns))
    return n / elapsed, (after - before) / n


async def measure_emulator_events(server: ServerProcess, token: str, total: int) -> float:
    runs = max(1, total // EVENTS_PER_RUN)
    url = f"ws://127.0.0.1:{server.port}/ws"
    golden = [Subprotocol(s) for s in GOLDEN_PATH(token)]
    async with connect(url, subprotocols=golden, compression=_deflate()) as ws:
        await ws.recv()
        message = json.dumps({"type": "user_message", "payload": {"content": "benchmark"}})
        start = time.perf_counter()
        for _ in range(runs):
            await ws.send(message)
        frames = completed = 0
        while completed < runs:
            frame = await ws.recv()
            frames += 1
            if '"agent_completed"' in frame:
                completed += 1
        return frames / (time.perf_counter() - start)


async def measure_bare_events(server: ServerProcess, total: int) -> float:
    async with connect(f"ws://127.0.0.1:{server.port}/ws", compression=_deflate()) as ws:
        await ws.recv()
        start = time.perf_counter()
        await ws.send(f"burst:{total}")
        for _ in range(total):
            await ws.recv()
        return total / (time.perf_counter() - start)


async def run(connections: int, events: int, repeats: int) -> None:
    token = mint_token("bench-user", key=LOCAL_DEV_SECRET, now=time.time())
    golden = [Subprotocol(s) for s in GOLDEN_PATH(token)]
    emulator, bare = ServerProcess("emulator"), ServerProcess("bare")
    try:
        emu_rate, emu_mem = await measure_connections(emulator, golden, connections)
        bare_rate, bare_mem = await measure_connections(bare, None, connections)
        emu_events = statistics.median(
            [await measure_emulator_events(emulator, token, events) for _ in range(repeats)]
        )
        bare_events = statistics.median(
            [await measure_bare_events(bare, events) for _ in range(repeats)]
        )
    finally:
        emulator.stop()
        bare.stop()

    print(
        f"python {platform.python_version()}, websockets {version('websockets')}, "
        f"{os.cpu_count()} CPUs; {connections} connections; {events} events x {repeats} repeats "
        f"(median); permessage-deflate {'on' if _COMPRESSION[0] else 'off'}"
    )
    rows = [
        (f"connect rate, {connections} held (conn/s)", emu_rate, bare_rate),
        ("server memory per connection (KiB)", emu_mem, bare_mem),
        ("events/s on one connection", emu_events, bare_events),
    ]
    print(f"{'metric':<40} {'service':>12} {'bare ws':>12} {'ratio':>8}")
    for name, mine, base in rows:
        ratio = mine / base if base else float("nan")
        print(f"{name:<40} {mine:>12,.1f} {base:>12,.1f} {ratio:>8.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--connections", type=int, default=1000, help="connections to hold")
    parser.add_argument("--events", type=int, default=20000, help="events per throughput run")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs (median shown)")
    parser.add_argument(
        "--no-compression", action="store_true", help="disable permessage-deflate on both sides"
    )
    parser.add_argument("--serve", choices=["emulator", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _COMPRESSION[0] = not args.no_compression
    if args.serve == "emulator":
        asyncio.run(_serve_emulator())
    elif args.serve == "bare":
        asyncio.run(_serve_bare())
    else:
        asyncio.run(run(args.connections, args.events, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
