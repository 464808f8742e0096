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

The machine's two cores are shared (with the server process, and with whatever else runs), so
wall-clock rates swing from round to round; the client's own CPU time per frame
(``time.process_time``, this process only) is printed too, as the steadier measure of what each
client costs, with the same ratio taken from it.

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
from typing import Any, NamedTuple

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


class Rate(NamedTuple):
    frames_per_s: float  # wall clock
    cpu_us_per_frame: float  # this process's CPU time


async def bare(url: str, token: str) -> Rate:
    async with connect(
        url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None
    ) as ws:
        await ws.recv()  # connection_established
        message = {"type": "user_message", "payload": {"content": "go", "thread_id": THREAD}}
        start, cpu = time.perf_counter(), time.process_time()
        await ws.send(json.dumps(message))
        n = 0
        while True:
            obj = json.loads(await ws.recv())
            n += 1
            if obj["type"] == "agent_completed":
                break
        return Rate(n / (time.perf_counter() - start), (time.process_time() - cpu) / n * 1e6)


async def toolkit(url: str, token: str, cassette: Path) -> Rate:
    async with Session.connect(
        url, token=token, transport="header", record=cassette, ping_every=None
    ) as session:
        start, cpu = time.perf_counter(), time.process_time()
        record = await session.run("go", timeout=120, thread_id=THREAD)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if not record.ok:
        raise SystemExit(f"toolkit run did not complete: {record.outcome} {record.error}")
    n = len(record.events)
    return Rate(n / elapsed, cpu / n * 1e6)


async def main(args: argparse.Namespace) -> int:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(queue, args.frames, args.compression), daemon=True)
    proc.start()
    url = str(queue.get(timeout=30))
    token = mint_token(USER, key=LOCAL_DEV_SECRET, now=time.time())
    bare_rates: list[Rate] = []
    tool_rates: list[Rate] = []
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
                last_b, last_t = bare_rates[-1], tool_rates[-1]
                print(
                    f"round {r + 1}: bare {last_b.frames_per_s:8.0f} frames/s "
                    f"({last_b.cpu_us_per_frame:5.1f} us CPU/frame)   toolkit "
                    f"{last_t.frames_per_s:8.0f} frames/s "
                    f"({last_t.cpu_us_per_frame:5.1f} us CPU/frame)   "
                    f"(cassette {size / 1e6:.1f} MB)",
                    flush=True,
                )
        finally:
            proc.terminate()
            proc.join(5)
    pairs = list(zip(tool_rates, bare_rates, strict=True))
    b = statistics.median(x.frames_per_s for x in bare_rates)
    t = statistics.median(x.frames_per_s for x in tool_rates)
    paired = statistics.median(x.frames_per_s / y.frames_per_s for x, y in pairs)
    b_cpu = statistics.median(x.cpu_us_per_frame for x in bare_rates)
    t_cpu = statistics.median(x.cpu_us_per_frame for x in tool_rates)
    paired_cpu = statistics.median(y.cpu_us_per_frame / x.cpu_us_per_frame for x, y in pairs)
    deflate = "permessage-deflate" if args.compression else "no compression"
    print(f"\nframes per run {args.frames}, {deflate}, rounds {args.rounds}")
    print(
        f"bare websockets recv + json.loads (median): {b:8.0f} frames/s  {b_cpu:5.1f} us CPU/frame"
    )
    print(
        f"Session receive + parse + record (median):  {t:8.0f} frames/s  {t_cpu:5.1f} us CPU/frame"
    )
    print(f"ratio of medians toolkit / bare: {t / b:.2f}x")
    print(f"median of per-round ratios:      {paired:.2f}x   (goal >= 0.9x)")
    print(f"same from CPU time per frame:    {paired_cpu:.2f}x   (bare CPU / toolkit CPU)")
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
