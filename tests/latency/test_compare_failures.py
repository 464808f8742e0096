"""A baseline comparison sets the attempts that failed or never finished beside the latencies
of those that did, and the gate's headline names a phase where more failed than before."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netra_diag.latency import SlaGate, compare_latency, evaluate_sla, parse_sla

SPEC = '[[check]]\nphase = "connect"\nstatistic = "max"\ncomparison = "<"\nthreshold = "5 s"\n'


def _rows(unfinished: int) -> pd.DataFrame:
    values = np.r_[np.linspace(20.0, 30.0, 30 - unfinished), np.full(unfinished, np.nan)]
    return pd.DataFrame(
        {
            "phase": ["run_total"] * 30 + ["connect"] * 30,
            "source": "client",
            "value_ms": np.r_[values, np.linspace(10.0, 14.0, 30)],
            "ok": np.r_[np.isfinite(values), np.ones(30, bool)],
        }
    )


def test_three_runs_that_never_finished_are_named() -> None:
    base, cur = _rows(0), _rows(3)
    comparison = compare_latency(base, cur)
    (row,) = [r for r in comparison.rows if r.key == ("run_total", "client")]
    assert row.failed_baseline == (0, 30) and row.failed_current == (3, 30) and row.more_failures
    assert "3 of 30 current attempts failed or never finished (baseline: 0 of 30)" in row.note
    frame = comparison.to_frame()
    assert frame.loc[frame["phase"] == "run_total", "failed_current"].item() == 3
    gate = SlaGate(evaluate_sla(parse_sla(SPEC), cur), comparison)
    assert (
        "1 phase has more attempts that failed or never finished than the baseline "
        "(run_total/client: 3 of 30, baseline 0 of 30)"
    ) in gate.headline
    assert gate.to_dict()["more_failures"] == ["run_total/client"]


def test_as_many_failures_as_before_are_not_news() -> None:
    gate = SlaGate(evaluate_sla(parse_sla(SPEC), _rows(3)), compare_latency(_rows(3), _rows(3)))
    assert not gate.more_failures and "never finished than" not in gate.headline
