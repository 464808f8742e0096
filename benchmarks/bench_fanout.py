"""Fan-out connect rate: 1,000 toolkit sessions vs 1,000 bare websockets clients, same server.

Both sides connect to the same embedded reference service, which runs in a separate process so
that the client side's own cost is what differs:

- baseline: ``websockets.connect`` with a token in an ``Authorization`` header, then one
  ``recv()`` for ``connection_established`` (the moment the server has authenticated us);
- toolkit: ``run_fanout`` — per user a ``Session`` (auth verdict, handshake diagnostics, marks,
  a cassette per user on disk, background pings) plus one complete agent run each; without a
  ramp every user connects first and the runs start together once all are connected, so the
  connect phase is measured on its own.

Both sides mint every user's token before the timed connects (``run_fanout`` does it before its
ramp, and creates the cassette files there too: ``prepare`` in the output), so neither side's
connect rate includes JWT signing. The toolkit's preparation does more than mint (it also reads
each first token's claims and builds its first handshake, and creates the cassette files), so a
second ratio counts each side's preparation in: sessions per second from the first token minted.
Creating a file is most of that preparation where creating files is slow (about 0.6 ms of kernel
time each on this project's test machine's ext4, against a few µs on tmpfs); the cost of creating
one is measured in the same run and printed. ``TMPDIR`` chooses where the cassettes go.

Both bound connects in flight to the same number. The connect rate is sessions established per
second over the connect phase (first connect start to last connection established). Rounds
alternate between the two (ABBA) to spread machine noise; the headline is the median of the
per-round ratios. Goal: >= 0.8x.

    .venv/bin/python benchmarks/bench_fanout.py [--users 1000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from websockets.asyncio.client import connect

from netra_diag.live.fanout import raise_nofile_limit, run_fanout
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

EXPECTED_EVENTS = 6  # agent_started, 2 x agent_thinking, one tool pair, agent_completed


def _serve(queue: Any, time_scale: float) -> None:
    from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service

    async def main() -> None:
        config = EmulatorConfig(
            timing=TimingProfile(time_scale=time_scale, thinking_steps=(2, 2), tool_calls=(1, 1)),
            idle_heartbeat_s=600.0,
        )
        async with run_service(config) as svc:
            queue.put(svc.url)
            await asyncio.Event().wait()

    asyncio.run(main())


def start_server(time_scale: float) -> tuple[Any, str]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(queue, time_scale), daemon=True)
    proc.start()
    return proc, str(queue.get(timeout=30))


async def bare_connects(url: str, users: int, concurrency: int) -> tuple[float, float, float]:
    """Connects per second for ``users`` bare clients (all held open until the last is in), CPU
    ms per connect, and the seconds spent minting. Tokens are minted before the clock starts, as
    the toolkit's fan-out does before its ramp."""
    slots = asyncio.Semaphore(concurrency)
    clients: list[Any] = []
    mint_start = time.perf_counter()
    tokens = {
        f"bare-{i:04d}": mint_token(f"bare-{i:04d}", key=LOCAL_DEV_SECRET, now=time.time())
        for i in range(users)
    }

    async def one(user: str) -> None:
        async with slots:
            ws = await connect(
                url,
                additional_headers={"Authorization": f"Bearer {tokens[user]}"},
                open_timeout=30,
            )
            await ws.recv()  # connection_established: authenticated
            clients.append(ws)

    start, cpu = time.perf_counter(), time.process_time()
    minting = start - mint_start
    await asyncio.gather(*(one(user) for user in tokens))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    await asyncio.gather(*(ws.close() for ws in clients))
    return users / elapsed, cpu * 1e3 / users, minting


def file_creation_us(files: int = 300) -> float:
    """µs to create one empty file where the cassettes go (a temporary directory)."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        for i in range(files):
            os.close(
                os.open(os.path.join(tmp, f"probe-{i}.jsonl"), os.O_WRONLY | os.O_CREAT, 0o644)
            )
        return (time.perf_counter() - start) * 1e6 / files


def with_preparation(users: int, rate: float, prepare_s: float) -> float:
    """Sessions per second counted from the start of preparation."""
    return users / (users / rate + prepare_s)


async def toolkit_connects(url: str, users: int, concurrency: int) -> tuple[float, float, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        result = await run_fanout(
            url,
            users=users,
            runs=1,
            connect_concurrency=concurrency,
            record_dir=tmp,
            expected_events=EXPECTED_EVENTS,
            progress=False,
            quiet_gc=True,
        )
    return result.connect_rate, result.connect_cpu_ms_per_session or math.nan, result


async def main(args: argparse.Namespace) -> int:
    raise_nofile_limit(args.users * 3 + 100)
    proc, url = start_server(args.time_scale)
    try:
        bare: list[float] = []
        tool: list[float] = []
        bare_cpu: list[float] = []
        tool_cpu: list[float] = []
        bare_all: list[float] = []  # rates counted from the start of preparation
        tool_all: list[float] = []
        last: Any = None
        # warm-up: imports, first connections, caches
        await bare_connects(url, 50, args.concurrency)
        await toolkit_connects(url, 50, args.concurrency)
        for r in range(args.rounds):
            # ABBA order: a drift in machine load hits both sides alike.
            if r % 2 == 0:
                rate, cpu, minting = await bare_connects(url, args.users, args.concurrency)
                bare.append(rate)
                bare_cpu.append(cpu)
                bare_all.append(with_preparation(args.users, rate, minting))
                await asyncio.sleep(0.5)
            rate, cpu, last = await toolkit_connects(url, args.users, args.concurrency)
            tool.append(rate)
            tool_cpu.append(cpu)
            tool_all.append(with_preparation(args.users, rate, last.prepare_s))
            await asyncio.sleep(0.5)
            if r % 2 == 1:
                rate, cpu, minting = await bare_connects(url, args.users, args.concurrency)
                bare.append(rate)
                bare_cpu.append(cpu)
                bare_all.append(with_preparation(args.users, rate, minting))
                await asyncio.sleep(0.5)
            print(
                f"round {r + 1}: bare {bare[-1]:6.0f} connects/s ({bare_cpu[-1]:.2f} ms CPU each)"
                f"   toolkit {tool[-1]:6.0f} sessions/s ({tool_cpu[-1]:.2f} ms CPU each)   "
                f"(toolkit: {last.runs_completed}/{last.runs_total} runs, "
                f"{last.events_lost} events lost, {last.elapsed_s:.2f} s total "
                f"+ {last.prepare_s:.2f} s prepare)",
                flush=True,
            )
    finally:
        proc.terminate()
        proc.join(5)
    b, t = statistics.median(bare), statistics.median(tool)
    paired = statistics.median(x / y for x, y in zip(tool, bare, strict=True))
    print(f"\nusers {args.users}, connect concurrency {args.concurrency}, rounds {args.rounds}")
    print(f"bare websockets connect rate (median): {b:8.0f} /s")
    print(f"toolkit fan-out connect rate (median): {t:8.0f} /s   (connect + auth + run + record)")
    print(f"ratio of medians toolkit / bare: {t / b:.2f}x")
    print(f"median of per-round ratios:      {paired:.2f}x   (goal >= 0.8x)")
    paired_all = statistics.median(x / y for x, y in zip(tool_all, bare_all, strict=True))
    print(
        f"  counting each side's preparation in: {paired_all:.2f}x (median of per-round ratios; "
        "bare: minting; toolkit: minting, first tokens' claims and handshakes, cassette files)"
    )
    bc, tc = statistics.median(bare_cpu), statistics.median(tool_cpu)
    print(
        f"client CPU per connect (median): bare {bc:.2f} ms, toolkit {tc:.2f} ms -> "
        f"{bc / tc:.2f}x (the rate ratio a client-bound run would reach on an idle machine)"
    )
    print(
        f"creating one file in {tempfile.gettempdir()} costs {file_creation_us():.0f} µs here "
        "(the toolkit creates one cassette per user before its ramp)"
    )
    if last is not None:
        lag = last.loop_lag_ms
        connect_ms = last.users["connect_ms"]
        print(
            f"last toolkit round: isolation {last.isolation.verdict.value}, loop lag p50 "
            f"{lag.get('p50')} ms p99 {lag.get('p99')} ms, connect p50 "
            f"{connect_ms.median():.1f} ms p99 {connect_ms.quantile(0.99):.1f} ms"
        )
    return 0 if last is not None and last.events_lost == 0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--time-scale", type=float, default=0.001)
    sys.exit(asyncio.run(main(parser.parse_args())))
