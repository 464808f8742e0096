"""Latency accuracy: what the toolkit measures vs the delays the service was told to inject.

The embedded reference service runs in its own process (so its work never runs on the client's
event loop) with ``fixed_delays_ms``: every run is ``agent_started`` (first_event),
``agent_thinking`` (think), ``tool_executing`` (inter_event), ``tool_completed`` (tool),
``agent_thinking`` (think), ``agent_completed`` (completion), each sent that long after the
previous one (after the request, for the first). Sessions record cassettes; every number below
is read back from them.

Per agent event:

- measured: the toolkit's latency, from the cassette: the gap from the previous agent event
  (from the request's ``message_sent`` mark for the first), on the session's monotonic clock;
- injected: the delay the service was told to sleep;
- the service's actual gap: the same gap between the service's own send instants. Every frame
  carries the service's ``timestamp`` (``time.time()`` taken just before the write) and the
  cassette's ``wall`` is the toolkit's arrival time on the same host clock, so both ends of a
  frame's trip are known (for the first event the start is the request's ``message_sent``).

``|measured - injected|`` (the goal as stated: <= 1 ms at p50, <= 5 ms at p99) is the sum of two
things, reported separately:

- toolkit error = measured - actual gap: what the toolkit got wrong (network, read, stamp);
- service lateness = actual gap - injected: the service sent later than planned (its loop was
  busy with other sessions under load, or the process was not scheduled; its delays run on a
  planned schedule with sub-millisecond wake-ups, ``netra_diag.emulator.timers``, so they no
  longer add asyncio's millisecond rounding and the send time of the previous frame; and a
  run's first delay counts from the kernel's receive time of its request, so the time the
  service's loop took to read 200 requests that came in together is not added either).

Scenarios. idle: one session, sequential runs. Under load: 200 concurrent sessions in this one
process (one event loop) against the service in the other, on this machine's cores (shared with
whatever else runs: the load average is printed), in two shapes: staggered (sessions ramped in at
100/s, each running continuously, so connects and runs of different users overlap) and burst
(every session's run starts at the same instant, so 200 frames arrive in the same millisecond at
every step: the worst case for one event loop). Both processes' event-loop lag (how late a 5 ms
timer fires) and CPU use are printed alongside: a busy loop is the floor for anything timed in
user space, which is why the toolkit takes the kernel's receive time of each frame where it can
(``netra_diag.live.stamping``). Frames that waited unread in the socket until a later frame of
the same session arrived were merged by the kernel, which keeps the later time: they are counted
and shown separately.

``phase_metrics`` (netra_diag.latency) runs on the same cassettes as a cross-check.

    .venv/bin/python benchmarks/bench_latency_accuracy.py [--runs 40] [--load-users 200]
        [--shapes idle,staggered,burst]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from netra_diag.latency import phase_metrics
from netra_diag.live.fanout import run_fanout
from netra_diag.live.session import Session
from netra_diag.live.stamping import SUPPORTED as KERNEL_STAMPS
from netra_diag.recording import load_frames
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

FIXED_MS = {"first_event": 40.0, "think": 25.0, "inter_event": 10.0, "tool": 60.0, "completion": 15}
PHASE_OF = {
    "agent_started": "first_event",
    "agent_thinking": "think",
    "tool_executing": "inter_event",
    "tool_completed": "tool",
    "agent_completed": "completion",
}
LAG_TICK_S = 0.005


async def _sample_lag(samples: list[float]) -> None:
    """How late a ``LAG_TICK_S`` timer fires, in ms (the event loop's lag)."""
    loop = asyncio.get_running_loop()
    while True:
        start = loop.time()
        await asyncio.sleep(LAG_TICK_S)
        samples.append(max(0.0, (loop.time() - start - LAG_TICK_S) * 1e3))


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(queue: Any, commands: Any) -> None:
    """The service, plus a thread answering ``reset`` / ``stats`` (its loop lag and CPU)."""
    from netra_diag.emulator import EmulatorConfig, TimingProfile, run_service

    lag: list[float] = []
    gc_ms: list[float] = []
    started: list[float] = []

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started and info.get("generation") == 2:
            gc_ms.append((time.perf_counter() - started[0]) * 1e3)

    gc.callbacks.append(on_gc)

    def answer() -> None:
        cpu0 = _cpu_s()
        while True:
            cmd = commands.recv()
            if cmd == "reset":
                lag.clear()
                gc_ms.clear()
                cpu0 = _cpu_s()
                commands.send(None)
            else:
                commands.send(
                    {"lag_ms": list(lag), "cpu_s": _cpu_s() - cpu0, "gc2_ms": list(gc_ms)}
                )

    async def main() -> None:
        timing = TimingProfile(
            thinking_steps=(2, 2), tool_calls=(1, 1), fixed_delays_ms=dict(FIXED_MS)
        )
        sampler = asyncio.create_task(_sample_lag(lag))
        async with run_service(EmulatorConfig(timing=timing, idle_heartbeat_s=600.0)) as svc:
            threading.Thread(target=answer, daemon=True).start()
            # As ``netra-diag serve`` does once it listens: what exists now (here, also the
            # client-side modules this spawned process imported with this script: pandas, numpy)
            # is never scanned by a full collection, which otherwise stalled the service's loop
            # for 25-35 ms in the middle of a burst.
            gc.freeze()
            queue.put(svc.url)
            await asyncio.Event().wait()
        sampler.cancel()

    asyncio.run(main())


class Probe:
    """Loop lag and CPU of both processes over one scenario."""

    def __init__(self, commands: Any) -> None:
        self._commands = commands
        self.client_lag: list[float] = []
        self.service: dict[str, Any] = {}
        self.client_cpu_s = 0.0
        self.wall_s = 0.0
        self.loadavg = os.getloadavg()[0]

    @contextmanager
    def measuring(self) -> Iterator[None]:
        self._commands.send("reset")
        self._commands.recv()
        task = asyncio.get_running_loop().create_task(_sample_lag(self.client_lag))
        cpu0, t0 = _cpu_s(), time.perf_counter()
        try:
            yield
        finally:
            task.cancel()
            self.client_cpu_s = _cpu_s() - cpu0
            self.wall_s = time.perf_counter() - t0
            self._commands.send("stats")
            self.service = self._commands.recv()

    def lines(self) -> list[str]:
        def lag(values: list[float]) -> str:
            if not values:
                return "no samples"
            p50, p99 = np.percentile(values, [50, 99])
            return f"loop lag p50 {p50:5.1f} ms, p99 {p99:6.1f} ms, max {max(values):6.1f} ms"

        def gc2(values: list[float]) -> str:
            if not values:
                return "none"
            return f"{len(values)}, longest {max(values):.1f} ms, {sum(values):.1f} ms in all"

        def cpu(seconds: float) -> str:
            share = seconds / self.wall_s
            return f"CPU {seconds:5.2f} s in {self.wall_s:5.2f} s ({share:4.0%} of a core)"

        return [
            f"  machine: {os.cpu_count()} cores, load average {self.loadavg:.2f} when it started",
            f"  client (this process):  {lag(self.client_lag)}; {cpu(self.client_cpu_s)}",
            f"  service (own process):  {lag(self.service.get('lag_ms', []))}; "
            f"{cpu(float(self.service.get('cpu_s', 0.0)))}",
            f"  service full collections (gc generation 2): {gc2(self.service.get('gc2_ms', []))}",
        ]


def decompose(frames: Any) -> dict[str, np.ndarray]:
    """Per agent event: phase, injected, measured, actual gap, and ``merged``: the frame, or the
    one its latency is measured from, has the arrival stamp of the next frame of its session
    (both came out of one read: the earlier one had waited unread, and the kernel merged them
    keeping the later time)."""
    cols: dict[str, list[Any]] = {k: [] for k in ("phase", "injected", "measured", "actual")}
    cols["merged"] = []
    for _, rows in frames.groupby("cassette", sort=False):
        rows = rows.sort_values("seq")
        incoming = rows[(rows["kind"] == "frame") & (rows["dir"] == "in")]
        t_in = incoming["t_ms"].to_numpy()
        stamped_late = {
            seq: bool(i + 1 < len(t_in) and t_in[i + 1] == t_in[i])
            for i, seq in enumerate(incoming["seq"].to_numpy())
        }
        # (t_ms, wall of the previous send instant, stamped late)
        anchor: tuple[float, float, bool] | None = None
        row: Any
        for row in rows.itertuples():
            if row.kind == "mark" and row.mark == "message_sent":
                anchor = (row.t_ms, row.wall, False)  # the request, sent at our own wall time
                continue
            if row.kind != "frame" or row.dir != "in" or row.type not in PHASE_OF:
                continue
            server_ts = json.loads(row.text).get("timestamp")
            if anchor is None or not isinstance(server_ts, float):
                anchor = None
                continue
            phase = PHASE_OF[row.type]
            cols["phase"].append(phase)
            cols["injected"].append(FIXED_MS[phase])
            cols["measured"].append(row.t_ms - anchor[0])
            cols["actual"].append((server_ts - anchor[1]) * 1e3)
            cols["merged"].append(stamped_late[row.seq] or anchor[2])
            anchor = (row.t_ms, server_ts, stamped_late[row.seq])
    return {k: np.asarray(v) for k, v in cols.items()}


def _pcts(values: np.ndarray) -> tuple[float, float]:
    if not len(values):
        return float("nan"), float("nan")
    p50, p99 = np.percentile(values, [50, 99])
    return float(p50), float(p99)


def report(name: str, directory: Path, probe: Probe) -> dict[str, tuple[float, float]]:
    d = decompose(load_frames(directory).frames)
    total = np.abs(d["measured"] - d["injected"])
    toolkit = d["measured"] - d["actual"]
    lateness = d["actual"] - d["injected"]
    merged = d["merged"]
    out = {
        "vs injected": _pcts(total),
        "toolkit": _pcts(np.abs(toolkit)),
        "toolkit, one frame per read": _pcts(np.abs(toolkit[~merged])),
        "lateness": _pcts(lateness),
        "merged share": (float(merged.mean()) if len(merged) else 0.0, 0.0),
    }
    print(f"\n{name}: {len(total)} measured latencies")
    for line in probe.lines():
        print(line)
    print("                                          p50        p99")
    print(
        "  |measured - injected|  (goal)     {:8.3f} ms {:8.3f} ms   (1 / 5 ms)".format(
            *out["vs injected"]
        )
    )
    print("   = toolkit error |measured - actual| {:8.3f} ms {:8.3f} ms".format(*out["toolkit"]))
    print(
        "   + service lateness (actual - injected) {:7.3f} ms {:8.3f} ms".format(*out["lateness"])
    )
    n_merged = int(merged.sum())
    print(
        f"  latencies touching a frame that waited unread until the next frame of its session "
        f"arrived (one read, one stamp): {n_merged} ({n_merged / max(1, len(merged)):.1%})"
    )
    if n_merged:
        print(
            "   toolkit error without them           {:8.3f} ms {:8.3f} ms".format(
                *_pcts(np.abs(toolkit[~merged]))
            )
        )
    print("  per phase (signed, ms)   injected   lateness p50/p99    toolkit error p50/p99")
    for phase, injected in FIXED_MS.items():
        sel = d["phase"] == phase
        if sel.any():
            lp = _pcts(lateness[sel])
            tp = _pcts(toolkit[sel])
            print(
                f"    {phase:12s}          {injected:5.1f}   {lp[0]:+7.3f} / {lp[1]:+7.3f}"
                f"      {tp[0]:+7.3f} / {tp[1]:+7.3f}"
            )
    metrics = phase_metrics(load_frames(directory).frames)
    for phase, injected in (("first_event", FIXED_MS["first_event"]), ("tool_duration", 60.0)):
        rows = metrics[(metrics["phase"] == phase) & (metrics["source"] == "client")]
        values = rows["value_ms"].dropna().to_numpy()
        if len(values):
            print(
                f"  phase_metrics {phase:13s} p50 {np.percentile(values, 50):7.3f} ms "
                f"(injected {injected:.1f} ms), n={len(values)}"
            )
    return out


async def idle(url: str, runs: int, directory: Path) -> None:
    def token() -> str:
        return mint_token("accuracy-user", key=LOCAL_DEV_SECRET, now=time.time())

    async with Session.connect(
        url, token=token, transport="header", record=directory / "idle.jsonl"
    ) as session:
        for i in range(runs):
            record = await session.run(f"accuracy run {i}", timeout=30)
            if not record.ok:
                raise SystemExit(f"run {i} did not complete: {record.outcome}")


async def main(args: argparse.Namespace) -> int:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    ours, theirs = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(queue, theirs), daemon=True)
    proc.start()
    url = str(queue.get(timeout=30))
    print(
        "kernel receive timestamps (SO_TIMESTAMPNS): "
        + ("on" if KERNEL_STAMPS else "not available here: frames are stamped at the read")
    )
    results: dict[str, dict[str, tuple[float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            if "idle" in args.shapes:
                idle_dir = Path(tmp) / "idle"
                idle_dir.mkdir()
                probe = Probe(ours)
                with probe.measuring():
                    await idle(url, args.runs, idle_dir)
                results["idle"] = report(f"idle (1 session x {args.runs} runs)", idle_dir, probe)
            shapes: tuple[tuple[str, str, dict[str, Any]], ...] = (
                (
                    "staggered",
                    f"ramped in at {args.load_users / 2:g}/s, {args.load_runs * 3} runs each",
                    {"ramp": args.load_users / 2.0, "runs": args.load_runs * 3},
                ),
                (
                    "burst",
                    f"every run started together, {args.load_runs} runs each",
                    {"together": True, "runs": args.load_runs},
                ),
            )
            for shape, how, extra in shapes:
                if shape not in args.shapes:
                    continue
                load_dir = Path(tmp) / shape
                probe = Probe(ours)
                with probe.measuring():
                    fan = await run_fanout(
                        url,
                        users=args.load_users,
                        record_dir=load_dir,
                        transport="header",
                        expected_events=6,
                        progress=False,
                        quiet_gc=True,
                        **extra,
                    )
                if not fan.ok:
                    print(fan.summary())
                name = f"under load, {shape} ({args.load_users} concurrent sessions, {how})"
                results[shape] = report(name, load_dir, probe)
    finally:
        proc.terminate()
        proc.join(5)
    print("\nsummary (p50 / p99, ms; goal <= 1 / 5)")

    def verdict(p: tuple[float, float]) -> str:
        return "meets" if p[0] <= 1.0 and p[1] <= 5.0 else "MISSES"

    for name, res in results.items():
        tk, tot, late = res["toolkit"], res["vs injected"], res["lateness"]
        one = res["toolkit, one frame per read"]
        single = 1 - res["merged share"][0]
        print(
            f"{name:9s}: vs injected {tot[0]:6.3f} / {tot[1]:7.3f} -> {verdict(tot):6s} = "
            f"toolkit error {tk[0]:6.3f} / {tk[1]:7.3f} -> {verdict(tk):6s} "
            f"+ service lateness {late[0]:+.3f} / {late[1]:+.3f}"
        )
        print(
            f"{'':9s}  toolkit error where each read held one frame ({single:.0%} of "
            f"latencies): {one[0]:6.3f} / {one[1]:7.3f} -> {verdict(one)}"
        )
    print(
        "\nwhere the rest comes from: service lateness is the service sleeping longer than told "
        "(its loop\nruns late under load, when 200 frames are due in the same instant or the "
        "process waits for a core);\nthe toolkit's own error under load comes from frames that "
        "waited unread while this process's loop was busy\n(loop lag above) until the next "
        "frame of the same session arrived: the kernel merged the two and\n"
        "kept the later arrival time."
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="sequential runs, idle scenario")
    parser.add_argument("--load-users", type=int, default=200, help="concurrent sessions")
    parser.add_argument("--load-runs", type=int, default=2, help="runs per session under load")
    parser.add_argument(
        "--shapes",
        type=lambda text: set(text.split(",")),
        default={"idle", "staggered", "burst"},
        help="comma-separated scenarios to run (default: idle,staggered,burst)",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
