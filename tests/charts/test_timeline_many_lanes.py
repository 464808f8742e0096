"""The timeline of a 40-user fan-out (120 lanes: a session lane and two runs per user) was
capped at 1400 px and labelled only every other lane, so each unlabelled run's bars read as the
labelled lane's beside it (a session lane showed waiting bars and agent_completed marks). Every
lane is labelled now while a label fits (the figure grows to 4000 px); past that, labels thin."""

from __future__ import annotations

from netra_diag.charts.timeline import swimlanes_figure, timeline_figure
from netra_diag.events.model import TimedEvent, parse_frame
from netra_diag.events.timeline import Mark, Timeline, build_timeline

RUN = [
    {"type": "agent_started", "agent_name": "triage"},
    {"type": "agent_thinking", "reasoning": "looking"},
    {"type": "agent_completed", "status": "completed", "final_response": "done"},
]


def _session(user: int, runs: int) -> Timeline:
    events = []
    for r in range(runs):
        ids = {"thread_id": f"t{user}", "run_id": f"r{user}-{r}", "user_id": f"u{user}"}
        for i, f in enumerate(RUN):
            t = 0.03 + 0.05 * r + 0.001 * i
            events.append(TimedEvent(parse_frame({**ids, **f}), t, None, len(events)))
    conn = TimedEvent(parse_frame({"type": "connection_established"}), 0.01, None, len(events))
    marks = [Mark("message_sent", 0.02 + 0.05 * r, {"type": "user_message"}) for r in range(runs)]
    return build_timeline([conn, *events], marks, label=f"user-{user}.jsonl")


def test_a_forty_user_fan_out_labels_every_lane() -> None:
    fig = timeline_figure([_session(u, 2) for u in range(40)])
    ticks = list(fig.layout.yaxis.tickvals)
    assert len(ticks) == 120 and ticks == list(range(120))
    assert fig.layout.height >= 160 + 14 * 120


def test_past_the_tallest_figure_labels_thin_but_each_still_fits() -> None:
    fig = swimlanes_figure([_session(u, 3) for u in range(200)])  # 600 run lanes
    ticks = list(fig.layout.yaxis.tickvals)
    assert fig.layout.height <= 4000
    step = ticks[1] - ticks[0]
    assert step > 1 and (fig.layout.height - 160) / 600 * step >= 14


def test_the_lanes_fill_the_plot_without_empty_bands() -> None:
    fig = timeline_figure([_session(u, 2) for u in range(40)])
    assert list(fig.layout.yaxis.range) == [119.5, -0.5]  # first lane at the top
