"""A box drawn from two probes' recordings: a phase with fewer than five samples (run_total,
one per probe) shows those samples as points over its box, and the chart says why, since its
quartiles are interpolated, not seen; a phase with enough samples is a box alone."""

from __future__ import annotations

from pathlib import Path

from netra_diag.charts.latency import box_figure
from netra_diag.cli import main
from netra_diag.latency import phase_metrics
from netra_diag.recording import load_frames


def test_few_samples_are_shown_as_points(tmp_path: Path) -> None:
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for path in paths:
        assert main(["probe", "--sub", "u1", "--record", str(path), "--time-scale", "0.1"]) == 0
    metrics = phase_metrics(load_frames(paths).frames)
    metrics = metrics[metrics["phase"].isin(["run_total", "event_gap"])]
    fig = box_figure(metrics, by="phase")
    runs = sorted(metrics.loc[metrics["phase"] == "run_total", "value_ms"])
    points = {t.name: t for t in fig.data if t.type == "scatter"}
    sizes = metrics.groupby("phase")["value_ms"].count()
    few = {f"{phase} (n={n})" for phase, n in sizes.items() if n < 5}
    assert "run_total (n=2)" in few and set(points) == few
    assert sorted(points["run_total (n=2)"].y) == runs
    notes = [a.text for a in fig.layout.annotations]
    group = "1 group" if len(few) == 1 else f"{len(few)} groups"
    assert f"{group} of fewer than 5 samples: points shown" in notes
