"""A phase too small to compare that is far slower than the baseline is named in the headline,
rather than left under "insufficient data" while the verdict reads PASS."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.latency import SlaGate, compare_latency, evaluate_sla, parse_sla

SPEC = '[[check]]\nphase = "connect"\nstatistic = "max"\ncomparison = "<"\nthreshold = "5 s"\n'


def _rows(run_total: np.ndarray, connects: int = 30) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "phase": ["run_total"] * run_total.size + ["connect"] * connects,
            "source": "client",
            "value_ms": np.r_[run_total, np.linspace(10.0, 14.0, connects)],
            "ok": True,
        }
    )


def test_three_slow_runs_are_named() -> None:
    baseline = _rows(np.linspace(20.0, 30.0, 30))
    current = _rows(np.array([2200.0, 2300.0, 2400.0]))
    report = evaluate_sla(parse_sla(SPEC), current)
    gate = SlaGate(report, compare_latency(baseline, current))
    assert not gate.regressions  # three samples prove no regression …
    assert "1 phase too small to compare looks slower than the baseline" in gate.headline
    assert "run_total/client: median 25 ms → 2.3 s on 3 samples" in gate.headline
    assert gate.to_dict()["unjudged_slower"] == ["run_total/client"]


def test_equal_small_phases_say_nothing() -> None:
    same = _rows(np.array([25.0, 26.0, 27.0]))
    gate = SlaGate(evaluate_sla(parse_sla(SPEC), same), compare_latency(same, same))
    assert "too small to compare" not in gate.headline and not gate.unjudged_slower
