"""A run another user's session leaked into this one (``leak_other_user``) used to be drawn
as this session's own run: a leaked ``tool_executing`` became a tool call "never completed",
hatched to the end of the session, in the timeline figure and as a Perfetto slice. Such a run is
seen only through contamination; its lane now says so and shows its frames and findings, not
phases it was never going to finish here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import plotly.graph_objects as go
import pytest
from timeouts import scaled

from netra_diag.charts.timeline import LEAKED_RUN, timeline_figure
from netra_diag.emulator import AuthMode, EmulatorConfig, ServiceHandle, TimingProfile, run_service
from netra_diag.events.contracts import Rule, check_run
from netra_diag.events.sources import load_cassette_stream
from netra_diag.events.timeline import build_timeline
from netra_diag.events.trace import build_trace
from netra_diag.live import Session
from netra_diag.tokens import LOCAL_DEV_SECRET, mint_token

# One event of each of the owner's runs is leaked; with this seed, tool_executing among them.
SCRIPT = TimingProfile.instant(thinking_steps=(1, 1), tool_calls=(1, 1))


@pytest.fixture
async def svc() -> AsyncIterator[ServiceHandle]:
    config = EmulatorConfig(auth=AuthMode.STRICT, timing=SCRIPT, seed=2)
    async with run_service(config) as handle:
        yield handle


def token(user: str) -> str:
    return mint_token(user, key=LOCAL_DEV_SECRET, now=time.time())


async def record_victim(svc: ServiceHandle, path: Path) -> None:
    plain = svc.ws_url("/ws", time_scale="0")
    leaky = svc.ws_url("/ws", faults="leak_other_user", time_scale="0")
    async with Session.connect(plain, token=token("user-2"), record=path, ping_every=None) as me:
        await me.run("my own request", timeout=scaled(2.0))
        async with Session.connect(leaky, token=token("user-1"), ping_every=None) as owner:
            for i in range(6):  # one leaked event per run: enough runs to leak a tool_executing
                await owner.run(f"their request {i}", timeout=scaled(2.0))
        await asyncio.sleep(scaled(0.1))


def _lane_of(fig: go.Figure, text: str) -> int:
    ticks = list(fig.layout.yaxis.ticktext)
    (label,) = [t for t in ticks if text in t]
    return int(fig.layout.yaxis.tickvals[ticks.index(label)])


async def test_a_leaked_run_is_named_and_not_drawn_as_unfinished_work(
    svc: ServiceHandle, tmp_path: Path
) -> None:
    path = tmp_path / "victim.jsonl"
    await record_victim(svc, path)
    stream = load_cassette_stream(path)
    report = check_run(stream.events, context=stream.context())
    assert report.by_rule(Rule.FOREIGN_EVENT)
    foreign_types = {te.type for te in stream.events if te.event.user_id == "user-1"}
    assert "tool_executing" in foreign_types, foreign_types  # what drew an unfinished tool
    leaked = report.foreign_runs
    assert leaked and all(key not in report.runs for key in leaked)
    (own,) = report.runs
    timeline = build_timeline(stream.events, stream.marks, label=stream.label, end=stream.end)
    fig = timeline_figure(timeline, reports=report)
    ticks = list(fig.layout.yaxis.ticktext)
    assert sum(LEAKED_RUN in t for t in ticks) == len(leaked), ticks
    leaked_lanes = {_lane_of(fig, f"{key.run_id[-6:]} ({LEAKED_RUN})") for key in leaked}
    for trace in fig.data:
        if isinstance(trace, go.Bar):
            assert not leaked_lanes & {int(y) for y in trace.y}, trace.name
    # The session's own run keeps its phases, and the leaked frames are still there to hover.
    own_lane = _lane_of(fig, f"{own.run_id[-6:]}")
    assert any(isinstance(t, go.Bar) and own_lane in {int(y) for y in t.y} for t in fig.data)
    frames = [t for t in fig.data if isinstance(t, go.Scattergl) and t.legendgroup == "frames"]
    assert leaked_lanes <= {int(y) for t in frames for y in t.y}

    trace_doc = build_trace(timeline, reports=[report])
    names = {
        ev["tid"]: ev["args"]["name"]
        for ev in trace_doc["traceEvents"]
        if ev["ph"] == "M" and ev["name"] == "thread_name"
    }
    leaked_tids = {tid for tid, name in names.items() if "another user's, leaked" in name}
    assert len(leaked_tids) == len(leaked), names
    slices = [ev for ev in trace_doc["traceEvents"] if ev["ph"] == "X"]
    assert not [ev for ev in slices if ev.get("args", {}).get("run") in {str(k) for k in leaked}]
    assert any(ev.get("args", {}).get("run") == str(own) for ev in slices)
