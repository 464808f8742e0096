"""With a baseline, the headline names the most slowed-down phase (not the first by name), and
changes of seconds read in seconds ("+5.726 s", not "+5.73e+03 ms")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.latency import SlaGate, compare_latency, evaluate_sla, parse_sla

SPEC = '[[check]]\nphase = "connect"\nstatistic = "max"\ncomparison = "<"\nthreshold = "5 s"\n'


def _rows(**phases: np.ndarray) -> pd.DataFrame:
    names = [name for name, values in phases.items() for _ in values]
    return pd.DataFrame(
        {
            "phase": names,
            "source": "client",
            "value_ms": np.concatenate(list(phases.values())),
            "ok": True,
        }
    )


def _gate(baseline: pd.DataFrame, current: pd.DataFrame) -> SlaGate:
    return SlaGate(evaluate_sla(parse_sla(SPEC), current), compare_latency(baseline, current))


def test_the_most_slowed_down_small_phase_is_named_first() -> None:
    connects = np.linspace(10.0, 14.0, 30)
    baseline = _rows(auth=np.array([2.0]), connect=connects, run_total=np.array([983.0]))
    current = _rows(auth=np.array([4.0]), connect=connects, run_total=np.array([6709.0]))
    gate = _gate(baseline, current)
    assert [r.key for r in gate.unjudged_slower] == [("run_total", "client"), ("auth", "client")]
    assert "2 phases too small to compare look slower than the baseline (run_total/client: " in (
        gate.headline
    )
    text = gate.comparison.text() if gate.comparison else ""
    assert "run_total/client: insufficient data: median 983 ms→6.709 s (+5.726 s, no interval)" in (
        text
    )
    assert "auth/client: insufficient data: median 2→4 ms (+2 ms, no interval)" in text
    assert "e+0" not in text


def test_the_worst_regression_is_named_first() -> None:
    rng = np.random.default_rng(7)
    base = {"connect": rng.uniform(10, 12, 60), "run_total": rng.uniform(900, 1100, 60)}
    now = {"connect": base["connect"] * 1.3, "run_total": base["run_total"] * 6.0}
    gate = _gate(_rows(**base), _rows(**now))
    assert {r.key[0] for r in gate.regressions} == {"connect", "run_total"}
    assert "2 phases slower than the baseline (run_total/client: median" in gate.headline
