"""Benchmark: summarise and plot 10 M latency samples vs plain ``np.percentile`` on the same array.

Measured in the same run (best of ``--repeat``):

* baseline: ``np.percentile(x, [50, 90, 95, 99, 99.9])`` — five numbers, no intervals, no figure;
* ours: ``LatencyHistogram.from_values(x)`` (mergeable, bounded error), ``summarize_latency`` on
  it (count, mean, min/max, five percentiles with 95 % bootstrap intervals and sample-size
  warnings), then ``percentile_spectrum_figure`` and ``histogram_figure`` serialised to JSON.

Goal (issue 5): ours < 1 s in total, each figure's JSON <= 200 KB. Also printed: summarising the
raw array directly, the ratio to ``np.percentile``, and how far the histogram's percentiles are
from the exact ones.

    .venv/bin/python benchmarks/bench_latency.py [--samples 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from netra_diag.charts.latency import histogram_figure, percentile_spectrum_figure
from netra_diag.latency import LatencyHistogram, summarize_latency

__all__ = ["main"]

QS = (0.5, 0.9, 0.95, 0.99, 0.999)
GOAL_S = 1.0
GOAL_BYTES = 200_000


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def ours(x: np.ndarray) -> dict[str, Any]:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    hist = LatencyHistogram.from_values(x)
    timings["histogram"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    summary = summarize_latency(hist, quantiles=QS, seed=0)
    timings["summary"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    spectrum = percentile_spectrum_figure(hist, limits=[(0.95, 100.0, "p95 < 100 ms")]).to_json()
    histogram = histogram_figure(hist).to_json()
    timings["figures"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return {"summary": summary, "sizes": (len(spectrum), len(histogram)), "timings": timings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000_000, help="samples (default 10 M)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(20240601)
    # A service-like mix: a lognormal body around 20 ms and a 1 % slow mode around 400 ms.
    x = rng.lognormal(np.log(20), 0.6, args.samples)
    slow = rng.random(args.samples) < 0.01
    x[slow] = rng.lognormal(np.log(400), 0.5, int(slow.sum()))
    print(f"{args.samples:,} samples (lognormal body + 1 % slow mode), best of {args.repeat}")

    t_np, exact = best_of(args.repeat, lambda: np.percentile(x, [q * 100 for q in QS]))
    t_ours, result = best_of(args.repeat, lambda: ours(x))
    t_raw, _ = best_of(args.repeat, lambda: summarize_latency(x, quantiles=QS, seed=0))

    group = result["summary"].groups[0]
    print(f"np.percentile (5 quantiles)          : {t_np:6.3f} s")
    steps = result["timings"]
    print(
        f"ours: histogram + summary + 2 figures : {t_ours:6.3f} s   "
        f"(last run: histogram {steps['histogram']:.3f}, summary with CIs {steps['summary']:.3f}, "
        f"figures to JSON {steps['figures']:.3f})"
    )
    print(f"ours: summarize_latency(raw array)    : {t_raw:6.3f} s")
    print(f"ratio ours/np.percentile: {t_ours / t_np:.2f}x")
    worst = 0.0
    for est, value in zip(group.quantiles, exact, strict=True):
        rel = abs(est.value - value) / value
        worst = max(worst, rel)
        print(
            f"  {est.statistic:>6}: exact {value:9.3f} ms  ours {est.value:9.3f} ms "
            f"[{est.ci_low:.3f}, {est.ci_high:.3f}]  off by {rel:.3%}"
        )
    spectrum_bytes, histogram_bytes = result["sizes"]
    print(f"figure JSON: spectrum {spectrum_bytes:,} B, histogram {histogram_bytes:,} B")
    ok_time = t_ours < GOAL_S
    ok_size = max(spectrum_bytes, histogram_bytes) <= GOAL_BYTES
    print(
        f"goal: total < {GOAL_S:g} s: {'met' if ok_time else 'MISSED'}; "
        f"figures <= {GOAL_BYTES // 1000} KB: {'met' if ok_size else 'MISSED'}; "
        f"worst percentile error {worst:.3%} (bound {LatencyHistogram().relative_error:.3%})"
    )
    return 0 if ok_time and ok_size else 1


if __name__ == "__main__":
    sys.exit(main())
