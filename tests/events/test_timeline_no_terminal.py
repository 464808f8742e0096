"""A run whose terminal event never came is drawn as what it is ("no agent_completed", as the
no_terminal verdict names it), not as a stall: the recording does not show why it never came."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from event_streams import golden_run, stream

from netra_diag import investigation
from netra_diag.charts.timeline import (
    NO_TERMINAL,
    diff_figure,
    run_label,
    swimlanes_figure,
    timeline_figure,
)
from netra_diag.events.contracts import check_run
from netra_diag.events.diff import diff_runs
from netra_diag.events.sources import load_cassette_stream
from netra_diag.events.timeline import Mark, TimelineConfig, build_timeline

# Pings answered on time throughout the silence: the timeline attributes it to the server.
PINGS = [Mark("ping_rtt", t, {"rtt_ms": 4.0}) for t in (0.5, 3.0, 6.0, 9.0)]


def _bars_on_lane(fig: go.Figure, lane: int) -> set[str]:
    return {
        str(trace.name)
        for trace in fig.data
        if isinstance(trace, go.Bar) and lane in list(np.asarray(trace.y))
    }


def test_a_run_without_agent_completed_is_not_a_server_stall() -> None:
    dropped = golden_run()[:-1]  # the server never sent agent_completed
    timeline = build_timeline(stream(dropped), PINGS, end=12.0)
    fig = swimlanes_figure(timeline)
    names = {trace.name for trace in fig.data}
    assert NO_TERMINAL in names and "stall (server)" not in names
    band = next(trace for trace in fig.data if trace.name == NO_TERMINAL)
    assert "the run never completed" in band.hovertext[0]
    # Drawn as a silence: the pale band behind the lane's phases.
    assert band.marker.opacity == 0.3
    # The text verdict names the same thing.
    report = check_run(stream(dropped))
    assert any("no agent_completed" in f.message for f in report.findings)


def test_a_stall_inside_a_run_stays_a_stall() -> None:
    items = golden_run()
    late = [(t + 8.0, body) for t, body in items[3:-1]]  # held 8 s, then sent; no terminal
    timeline = build_timeline(stream(items[:3] + late), PINGS, end=12.0)
    names = {trace.name for trace in timeline_figure(timeline).data}
    assert "stall (server)" in names  # the 8 s hold, closed by the events after it
    assert NO_TERMINAL not in names  # the silence at the end is under the stall threshold


def test_the_diff_figure_names_it_the_same_way() -> None:
    # The pings after the last event carry the failing side's clock past the stall threshold.
    diff = diff_runs(
        stream(golden_run()[:-1]),
        stream(golden_run()),
        failing_marks=PINGS,
        passing_marks=PINGS,
    )
    names = {trace.name for trace in diff_figure(diff).data}
    assert NO_TERMINAL in names and "stall (server)" not in names


async def test_a_dropped_agent_completed_recorded_from_the_service(tmp_path: Path) -> None:
    config = investigation.CollectConfig(
        users=4, runs=3, faults="drop_event", time_scale=0.1, run_timeout=1.0, seed=7
    )
    collection = await investigation.collect(tmp_path / "rec", config)
    dropped: list[dict[str, Any]] = [
        dict(f) for f in collection.injected if f.get("event_type") == "agent_completed"
    ]
    assert dropped, "this seed drops an agent_completed"
    fault = dropped[0]
    cassette = next(
        p
        for p in sorted(collection.record_dir.glob("*.jsonl"))
        if str(fault["run_id"]) in p.read_text("utf-8")
    )
    recorded = load_cassette_stream(cassette)
    # A short threshold, so the silence after the dropped event counts whatever the pace.
    timeline = build_timeline(
        recorded.events,
        recorded.marks,
        config=TimelineConfig(stall_threshold_s=0.3),
        end=recorded.end,
    )
    key = next(k for k in timeline.runs if k.run_id == fault["run_id"])
    fig = swimlanes_figure(timeline)
    lane = list(fig.layout.yaxis.ticktext).index(f"run {run_label(key)}")
    bars = _bars_on_lane(fig, lane)
    assert NO_TERMINAL in bars
    assert not any(name.startswith("stall") for name in bars)


def test_the_perfetto_trace_names_it_as_the_charts_do() -> None:
    from netra_diag.events.trace import build_trace

    dropped = golden_run()[:-1]
    timeline = build_timeline(stream(dropped), PINGS, end=12.0)
    names = {e["name"] for e in build_trace([timeline])["traceEvents"] if e.get("ph") == "X"}
    assert NO_TERMINAL in names and not any(n.startswith("stall") for n in names)
