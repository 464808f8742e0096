"""Timeline figures, asserted on ``fig.data`` / ``fig.layout``; the live figure; the size budget."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest
from event_streams import frame, golden_run, stream

from netra_diag.charts.live_timeline import LiveTimeline
from netra_diag.charts.timeline import diff_figure, swimlanes_figure, timeline_figure
from netra_diag.events.contracts import ContractReport, check_run
from netra_diag.events.diff import diff_runs
from netra_diag.events.timeline import Mark, Timeline, TimelineConfig, build_timeline
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

TOKEN = mint_token("u1", key=LOCAL_DEV_SECRET, now=1_700_000_000.0)


def by_name(fig: go.Figure) -> dict[str, Any]:
    return {trace.name: trace for trace in fig.data}


def session() -> tuple[Timeline, ContractReport]:
    first = golden_run()
    first[1] = (first[1][0], frame("agent_thinking", reasoning=f"using {TOKEN}"))
    second = golden_run(run="r2", t0=8.0)[:3]  # its tool call never completes, nor does it
    events = stream(first, second)
    marks = [Mark("connect_start", 0.0), Mark("upgrade_done", 0.004), Mark("message_sent", -0.05)]
    return build_timeline(events, marks, label="s.jsonl", end=9.0), check_run(events)


def test_spans_are_horizontal_bars_on_a_linear_millisecond_axis() -> None:
    timeline, report = session()
    fig = timeline_figure(timeline, reports=report)
    traces = by_name(fig)
    thinking = traces["thinking"]
    assert isinstance(thinking, go.Bar) and thinking.orientation == "h"
    assert list(thinking.base)[:1] == [0.0]
    assert np.asarray(thinking.x)[0] == pytest.approx(500.0)
    assert fig.layout.xaxis.type == "linear" and fig.layout.xaxis.ticksuffix == " ms"
    assert fig.layout.barmode == "overlay"
    assert list(fig.layout.yaxis.ticktext) == ["session", "run t1/r1", "run t1/r2"]
    assert {"connect", "waiting", "thinking", "tool", "completion", "gap"} <= set(traces)
    # The unfinished tool of r2 is hatched.
    tool = traces["tool"]
    assert list(tool.marker.pattern.shape).count("/") == 1


def test_hover_shows_the_raw_frame_scrubbed() -> None:
    timeline, report = session()
    fig = timeline_figure(timeline, reports=report)
    frames = by_name(fig)["agent_thinking"]
    text = " ".join(frames.hovertext)
    assert "&quot;type&quot;: &quot;agent_thinking&quot;" in text
    assert TOKEN not in fig.to_json() and "eyJ…#" in text


def test_findings_are_markers_with_the_sentence() -> None:
    timeline, report = session()
    fig = timeline_figure(timeline, reports=report)
    errors = by_name(fig)["finding: error"]
    assert isinstance(errors, go.Scattergl)
    assert any("run t1/r2 never completed" in t for t in errors.hovertext)
    lane_of_r2 = list(fig.layout.yaxis.ticktext).index("run t1/r2")
    assert lane_of_r2 in list(np.asarray(errors.y))


def test_gaps_are_shaded() -> None:
    timeline, _ = session()
    fig = timeline_figure(timeline)
    assert [round(s.x0) for s in fig.layout.shapes] == [1000]


def test_swimlanes_align_runs_at_their_start() -> None:
    timelines = [
        build_timeline(stream(golden_run(t0=t0, step=step)), label=f"c{i}")
        for i, (t0, step) in enumerate([(0.0, 0.2), (5.0, 0.4), (9.0, 0.3)])
    ]
    fig = swimlanes_figure(timelines)
    thinking = by_name(fig)["thinking"]
    assert list(thinking.base) == [0.0, 0.0, 0.0]
    assert list(np.asarray(thinking.x)) == pytest.approx([400.0, 800.0, 600.0])
    assert list(fig.layout.yaxis.ticktext) == ["c0 · run t1/r1", "c1 · run t1/r1", "c2 · run t1/r1"]
    assert "since each run started" in fig.layout.xaxis.title.text


def test_thousand_runs_stay_under_a_megabyte() -> None:
    timelines = []
    reports = []
    for i in range(1000):
        items = golden_run(
            run=f"r{i}", tools=("cost_analyzer", "log_search"), step=0.1 + (i % 7) / 20
        )
        if i % 10 == 0:
            items = items[:-1]  # some runs never complete: findings too
        events = stream(items)
        timelines.append(build_timeline(events, [Mark("message_sent", -0.05)], label=f"c{i}"))
        reports.append(check_run(events))
    fig = swimlanes_figure(timelines, reports=reports)
    size = len(fig.to_json())
    assert size < 1_000_000, size
    thinking = by_name(fig)["thinking"]
    texts = thinking.hovertext
    assert texts[0] and not texts[-1]  # raw-frame hover only for the first runs
    assert len(fig.data) < 20  # one trace per kind, not one per span


def test_diff_figure() -> None:
    passing = golden_run(tools=("a", "b"))
    failing = [*golden_run(tools=("a",))[:-1], (1.5, frame("agent_error", error="quota"))]
    fig = diff_figure(diff_runs(stream(failing), stream(passing)))
    traces = by_name(fig)
    missing = traces["missing"]
    assert list(np.asarray(missing.y)) == [1, 1, 1]
    assert list(np.asarray(missing.x)) == pytest.approx([1000.0, 1250.0, 1500.0])
    assert "agent_error" in traces["extra"].hovertext[0]
    phases = traces["failing run"]
    assert list(phases.y) == ["thinking", "tool:a", "tool:b", "completion", "total"]
    assert fig.layout.title.text.startswith("failing run t1/r1 vs passing run t1/r1: 3 missing")
    assert fig.layout.xaxis.type == "linear"


def test_live_timeline_grows_a_plain_figure() -> None:
    live = LiveTimeline(config=TimelineConfig(stall_threshold_s=1.0))
    live.add_mark(Mark("message_sent", 0.0))
    assert [t.name for t in live.figure.data] == ["in progress"]
    events = stream(golden_run(t0=0.1))
    for te in events[:3]:
        live.add(te)
    traces = by_name(live.figure)
    assert len(traces["frames"].x) == 3
    assert list(traces["waiting"].base) == [0.0]
    assert len(traces["in progress"].x) == 1  # the tool call, still open
    for te in events[3:]:
        live.add(te)
    traces = by_name(live.figure)
    assert len(traces["in progress"].x) == 0
    assert len(traces["completion"].x) == 1
    assert live.timeline().spans == build_timeline(events, [Mark("message_sent", 0.0)]).spans
    assert list(live.figure.layout.yaxis.ticktext) == ["session", "run t1/r1"]


def test_a_live_timeline_ended_mid_run_draws_what_was_open_as_cut_short() -> None:
    # Stop mid-tool: the hatched "in progress" bar read as a tool still running
    live = LiveTimeline(config=TimelineConfig(stall_threshold_s=1.0))
    live.add_mark(Mark("message_sent", 0.0))
    for te in stream(golden_run(t0=0.1))[:3]:
        live.add(te)
    live.end()
    traces = by_name(live.figure)
    assert "in progress" not in traces
    assert len(traces["unfinished: the session closed first"].x) == 1


def test_live_timeline_on_a_figure_widget() -> None:
    widget = go.FigureWidget()
    live = LiveTimeline(widget)
    live.extend(stream(golden_run(), golden_run(run="r2", t0=2)))
    assert live.figure is widget
    assert len(by_name(widget)["frames"].x) == 10
    assert list(widget.layout.yaxis.ticktext) == ["session", "run t1/r1", "run t1/r2"]


def test_core_modules_do_not_import_plotly() -> None:
    modules = ["runs", "spans", "contracts", "timeline", "diff", "trace", "sources"]
    code = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module('netra_diag.events.{m}')\n" for m in modules)
        + "bad = ('plotly', 'asyncio', 'websockets', 'ipywidgets')\n"
        + "print(','.join(m for m in bad if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
