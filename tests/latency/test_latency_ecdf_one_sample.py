"""The ECDF of a probe's recording: a phase with one sample (run_total, first_event) is drawn
as a rise from 0 to 1 at its value, not a lone point that a line leaves invisible while the
legend lists it; every curve starts at 0."""

from __future__ import annotations

from pathlib import Path

from netra_diag.charts.latency import ecdf_figure
from netra_diag.cli import main
from netra_diag.latency import phase_metrics
from netra_diag.recording import load_frames


def test_one_sample_phases_are_drawn(tmp_path: Path) -> None:
    cassette = tmp_path / "probe.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(cassette), "--time-scale", "0.1"]) == 0
    metrics = phase_metrics(load_frames([cassette]).frames)
    fig = ecdf_figure(metrics, phase=["run_total", "event_gap"])
    by_name = {trace.name.split(" ")[0]: trace for trace in fig.data}
    run = by_name["run_total"]
    assert "(n=1)" in run.name
    value = float(metrics.loc[metrics["phase"] == "run_total", "value_ms"].iloc[0])
    # two points at the one value: a vertical step from 0 to 1
    assert list(run.x) == [value, value] and list(run.y) == [0.0, 1.0]
    gaps = by_name["event_gap"]
    assert gaps.y[0] == 0.0 and gaps.y[-1] == 1.0 and gaps.x[0] == min(gaps.x)
