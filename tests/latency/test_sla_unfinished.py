"""A value check (max, mean, a percentile) over attempts of which some never finished: the pass
says it rests on the ones that finished, rather than reading as "every run was this fast"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from latency_kit import CassetteBuilder

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.latency import CheckStatus, evaluate_sla, parse_sla


def _metrics(values: list[float]) -> pd.DataFrame:
    vals = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {"phase": "run_total", "value_ms": vals, "ok": np.isfinite(vals), "source": "client"}
    )


def _check(statistic: str, comparison: str = "<=", threshold: str = "60 s") -> str:
    return (
        f'[[check]]\nid = "c"\nphase = "run_total"\nstatistic = "{statistic}"\n'
        f'comparison = "{comparison}"\nthreshold = "{threshold}"\n'
    )


def test_max_over_runs_that_finished_is_not_a_clean_pass() -> None:
    values = [40.0] * 29 + [math.nan]  # one run never saw its terminal event
    report = evaluate_sla(parse_sla(_check("max")), _metrics(values))
    result = report.results[0]
    assert result.status is CheckStatus.PASS
    assert result.n == 29 and result.left_out == 1
    assert not result.conclusive and result.weak_pass and result.unfinished_pass
    assert "1 of 30 run_total attempts failed or never finished" in result.note
    assert "holds only for the 29 that finished" in result.note
    assert "1 passed only on the attempts that finished (c: 1 of 30 never did)" in report.headline
    assert "too few samples" not in report.headline
    assert "passed only on the attempts that finished (see notes): c" in report.text()
    assert report.to_dict()["checks"][0]["left_out"] == 1


def test_a_percentile_the_unfinished_cannot_move_stays_conclusive() -> None:
    values = [*np.linspace(10.0, 50.0, 999), math.nan]
    result = evaluate_sla(parse_sla(_check("p50")), _metrics(values)).results[0]
    assert result.status is CheckStatus.PASS and result.conclusive and not result.weak_pass
    assert "would not change the verdict" in result.note and result.left_out == 1


def test_a_breach_stays_a_breach() -> None:
    values = [70_000.0] * 20 + [math.nan]
    report = evaluate_sla(parse_sla(_check("max")), _metrics(values))
    assert report.results[0].status is CheckStatus.FAIL and report.breached
    assert not report.results[0].unfinished_pass


def test_cli_says_a_run_never_finished(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    b = CassetteBuilder(user="u1")
    t = b.connect(0.0, 10.0, 5.0)
    for r in range(3):
        t = b.run(t + 100, [10.0] * 6, run_id=f"r{r}")
    # The last run's terminal event never comes: the client gives up on it.
    t = b.run(t + 100, [10.0] * 4, run_id="lost", terminal=False)
    b.mark("run_end", t + 30_000, outcome="timeout")
    path = b.write(tmp_path / "u1.jsonl")
    sla = tmp_path / "sla.toml"
    sla.write_text(_check("max"), encoding="utf-8")
    code = main(["sla", "check", str(sla), str(path)])
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert "passed only on the attempts that finished (c: 1 of 4 never did)" in first, out
    assert code == ExitCode.OK
    code = main(["sla", "check", str(sla), str(path), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["checks"][0]["left_out"] == 1 and doc["checks"][0]["conclusive"] is False


def test_a_count_says_what_it_left_out() -> None:
    text = _check("count", ">=", "30").replace('threshold = "30"', "threshold = 30")
    result = evaluate_sla(parse_sla(text), _metrics([40.0] * 29 + [math.nan])).results[0]
    assert result.status is CheckStatus.FAIL and result.observed == 29
    assert (
        "1 of 30 run_total attempts failed or never finished (no value): the count is of the 29"
        in (result.note)
    )


def test_an_interval_open_on_both_sides_names_no_side() -> None:
    text = _check("p50", "<", "1 s")
    result = evaluate_sla(parse_sla(text), _metrics([10.0, 20.0, 30.0])).results[0]
    assert "3 samples cannot bound the p50 at this confidence" in result.note
