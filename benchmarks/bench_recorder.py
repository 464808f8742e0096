"""Recorder throughput: a recorded Session vs a bare websockets recv + json.loads loop.

One server (in its own process, so client and server do not share a core) answers every request
with the same N pre-rendered agent frames (the reference service's envelope (a), ~400 bytes,
``agent_started`` … ``agent_completed``), sent as fast as it can. Two clients read that stream:

- baseline: ``websockets`` ``recv()`` + ``json.loads`` until ``agent_completed``;
- toolkit: ``Session.run`` with ``record=`` a cassette: receive, normalise every frame
  (``parse_frame``), append it to the cassette (scrubbed, one ``os.write`` per frame), collect the
  run record.

Throughput is frames per second from the request to the terminal frame. Rounds alternate (ABBA);
the headline is the median of per-round ratios. Goal: >= 0.9x.

    .venv/bin/python benchmarks/bench_recorder.py [--frames 20000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from netra_diag.live.session import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

USER = "bench-user"
THREAD = "bench-thread"


def render_stream(n: int) -> list[str]:
    """``n`` frames of one long agent run, as the reference service renders envelope (a)."""
    frames: list[str] = []
    ids = {"run_id": "run_bench", "thread_id": THREAD, "user_id": USER, "agent_name": "triage"}
    cycle: list[tuple[str, dict[str, Any]]] = [
        ("agent_thinking", {"reasoning": "Comparing this week's figures with the baseline"}),
        (
            "tool_executing",
            {"tool_name": "cost_analyzer", "parameters": {"period": "last_30_days"}},
        ),
        (
            "tool_completed",
            {"tool_name": "cost_analyzer", "results": {"rows": 12}, "duration": 0.84},
        ),
    ]

    def frame(etype: str, data: dict[str, Any], i: int) -> str:
        return json.dumps(
            {
                "type": etype,
                "data": {**ids, **data, "step_number": i},
                "timestamp": 1764028800.0 + i / 1000,
                "server_id": "netra-backend-bench",
                "correlation_id": f"run_bench:{i}",
            }
        )

    frames.append(frame("agent_started", {"status": "started"}, 0))
    for i in range(1, n - 1):
        etype, data = cycle[i % len(cycle)]
        frames.append(frame(etype, data, i))
    frames.append(frame("agent_completed", {"status": "completed", "final_response": "ok"}, n))
    return frames


def _serve(queue: Any, n: int, compression: bool) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    frames = render_stream(n)
    established = json.dumps(
        {"type": "connection_established", "data": {"user_id": USER, "mode": "main"}}
    )

    async def handler(ws: ServerConnection) -> None:
        await ws.send(established)
        async for message in ws:
            if json.loads(message).get("type") in ("ping", "heartbeat"):
                continue
            for text in frames:
                await ws.send(text)

    async def main() -> None:
        async with serve(
            handler,
            "127.0.0.1",
            0,
            compression="deflate" if compression else None,
            max_size=None,
        ) as server:
            port = server.sockets[0].getsockname()[1]
            queue.put(f"ws://127.0.0.1:{port}/ws")
            await asyncio.Event().wait()

    asyncio.run(main())


async def bare(url: str, token: str) -> float:
    async with connect(
        url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None
    ) as ws:
        await ws.recv()  # connection_established
        message = {"type": "user_message", "payload": {"content": "go", "thread_id": THREAD}}
        start = time.perf_counter()
        await ws.send(json.dumps(message))
        n = 0
        while True:
            obj = json.loads(await ws.recv())
            n += 1
            if obj["type"] == "agent_completed":
                break
        return n / (time.perf_counter() - start)


async def toolkit(url: str, token: str, cassette: Path) -> float:
    async with Session.connect(
        url, token=token, transport="header", record=cassette, ping_every=None
    ) as session:
        start = time.perf_counter()
        record = await session.run("go", timeout=120, thread_id=THREAD)
        elapsed = time.perf_counter() - start
    if not record.ok:
        raise SystemExit(f"toolkit run did not complete: {record.outcome} {record.error}")
    return len(record.events) / elapsed


async def main(args: argparse.Namespace) -> int:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(queue, args.frames, args.compression), daemon=True)
    proc.start()
    url = str(queue.get(timeout=30))
    token = mint_token(USER, key=LOCAL_DEV_SECRET, now=time.time())
    bare_rates: list[float] = []
    tool_rates: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            await bare(url, token)  # warm-up
            await toolkit(url, token, Path(tmp) / "warm.jsonl")
            for r in range(args.rounds):
                cassette = Path(tmp) / f"round-{r}.jsonl"
                if r % 2 == 0:
                    bare_rates.append(await bare(url, token))
                tool_rates.append(await toolkit(url, token, cassette))
                if r % 2 == 1:
                    bare_rates.append(await bare(url, token))
                size = cassette.stat().st_size
                print(
                    f"round {r + 1}: bare {bare_rates[-1]:8.0f} frames/s   toolkit "
                    f"{tool_rates[-1]:8.0f} frames/s   (cassette {size / 1e6:.1f} MB)",
                    flush=True,
                )
        finally:
            proc.terminate()
            proc.join(5)
    b, t = statistics.median(bare_rates), statistics.median(tool_rates)
    paired = statistics.median(x / y for x, y in zip(tool_rates, bare_rates, strict=True))
    deflate = "permessage-deflate" if args.compression else "no compression"
    print(f"\nframes per run {args.frames}, {deflate}, rounds {args.rounds}")
    print(f"bare websockets recv + json.loads (median): {b:8.0f} frames/s")
    print(f"Session receive + parse + record (median):  {t:8.0f} frames/s")
    print(f"ratio of medians toolkit / bare: {t / b:.2f}x")
    print(f"median of per-round ratios:      {paired:.2f}x   (goal >= 0.9x)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--compression",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="permessage-deflate on the stream, as the reference service negotiates",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
