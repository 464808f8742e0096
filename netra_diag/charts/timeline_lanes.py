"""The lanes of the timeline figures: which lane each session and run gets (its label, its zero
on the time axis, whether its hover quotes frames), and how tall a figure must be to label them
all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import plotly.graph_objects as go

from netra_diag.events.contracts import ContractReport
from netra_diag.events.runs import RunKey
from netra_diag.events.timeline import Timeline

__all__ = ["LEAKED_RUN", "Lane", "lanes_of", "lay_out_lanes", "run_label"]


@dataclass
class Lane:
    """One row of a figure: a session's frames outside any run (``run`` None), or one run."""

    index: int
    label: str
    timeline: int
    run: RunKey | None
    zero: float
    detailed: bool
    # Another user's run, seen through the events leaked of it: its frames and the findings are
    # drawn, not its phases (a leaked tool_executing would show as this session's tool call that
    # never completed).
    foreign: bool = False


# Said after the lane of a run seen only through another user's leaked events.
LEAKED_RUN = "another user's, leaked"


def _short_id(value: str | None, keep: int = 6) -> str:
    if value is None:
        return "?"
    return value if len(value) <= 2 * keep + 2 else f"{value[:keep]}…{value[-keep:]}"


def run_label(key: RunKey) -> str:
    """A lane label: long generated ids shortened to their ends (the hover shows them whole)."""
    label = f"{_short_id(key.thread_id)}/{_short_id(key.run_id)}"
    return f"{label}#{key.seq + 1}" if key.seq else label


def lanes_of(
    timelines: Sequence[Timeline],
    align: Literal["session", "run"],
    max_detail_runs: int,
    reports: Sequence[ContractReport | None] = (),
) -> tuple[list[Lane], dict[tuple[int, RunKey | None], Lane]]:
    """The lanes of ``timelines`` in order, and each by ``(timeline index, run)``. ``align``
    "session": a session lane (when it has frames or spans outside runs) then its runs, on the
    session's clock; "run": runs only, each from its own start. Only the first
    ``max_detail_runs`` runs' hovers quote frames."""
    lanes: list[Lane] = []
    by_key: dict[tuple[int, RunKey | None], Lane] = {}
    many = len(timelines) > 1
    n_runs = 0
    for ti, timeline in enumerate(timelines):
        report = reports[ti] if ti < len(reports) else None
        foreign = report.foreign_runs if report is not None else frozenset()
        prefix = f"{timeline.label or f'session {ti + 1}'} · " if many else ""
        if align == "session":
            has_session = any(s.run is None for s in timeline.spans) or any(
                k is None for k in timeline.event_runs
            )
            if has_session or not timeline.runs:
                lane = Lane(len(lanes), f"{prefix}session", ti, None, 0.0, n_runs < max_detail_runs)
                lanes.append(lane)
                by_key[(ti, None)] = lane
        for key in timeline.runs:
            zero = timeline.run_start(key) if align == "run" else 0.0
            detailed = n_runs < max_detail_runs
            label = f"{prefix}run {run_label(key)}"
            leaked = key in foreign
            if leaked:
                label += f" ({LEAKED_RUN})"
            lane = Lane(len(lanes), label, ti, key, zero, detailed, leaked)
            lanes.append(lane)
            by_key[(ti, key)] = lane
            n_runs += 1
    return lanes, by_key


def _legend_height(fig: go.Figure) -> int:
    """Pixels the figure needs for its whole legend beside the plot: a legend taller than the plot
    scrolls, and what it hides first is at its end, the findings' markers. About 20 px an entry,
    the group gap for each group, and the title, margins and x axis around them."""
    entries = sum(1 for trace in fig.data if trace.showlegend is not False)
    groups = len({trace.legendgroup or trace.name for trace in fig.data})
    return 150 + 20 * entries + 6 * groups


# Pixels per lane wanted, the fewest that still fit a lane's label, and the tallest figure: a
# figure too short for its lanes labels only some, and the bars of an unlabelled lane then read
# as its labelled neighbour's (a fan-out of 40 users is 120 lanes).
_LANE_PX = 26
_LABEL_PX = 14
_MAX_HEIGHT = 4000


def lay_out_lanes(fig: go.Figure, lanes: list[Lane], title: str, x_title: str) -> None:
    """Title, axes and height of ``fig``: one labelled tick per lane (every few when they are
    too many to label all), first lane at the top."""
    n = len(lanes)
    height = int(min(_MAX_HEIGHT, max(320, 160 + _LANE_PX * n, _legend_height(fig))))
    step = max(1, math.ceil(_LABEL_PX / ((height - 160) / max(1, n))))
    shown = lanes[::step]
    fig.update_layout(
        title=title,
        barmode="overlay",
        template="plotly_white",
        height=height,
        hovermode="closest",
        legend={"groupclick": "togglegroup", "tracegroupgap": 6},
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    fig.update_xaxes(type="linear", title_text=x_title, ticksuffix=" ms", zeroline=True)
    fig.update_yaxes(
        tickmode="array",
        tickvals=[lane.index for lane in shown],
        ticktext=[lane.label for lane in shown],
        # The lanes exactly, first at the top: autorange pads for the frame markers' size, a
        # band of empty lanes above and below that grows with the figure.
        autorange=False,
        range=[max(1, n) - 0.5, -0.5],
        automargin=True,
    )
