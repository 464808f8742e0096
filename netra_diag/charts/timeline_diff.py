"""The aligned diff of two runs as a figure: where the failing run departs from the passing one.

Built from the same pieces as :mod:`netra_diag.charts.timeline` (bars on a linear millisecond axis,
scrubbed raw-frame hover); :func:`netra_diag.charts.timeline.diff_figure` is the public entry.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from netra_diag.charts.timeline_bars import (
    SPAN_COLORS,
    Series,
    bar_trace,
    finite,
    is_silence,
    marker_trace,
    span_name,
)
from netra_diag.charts.timeline_hover import frame_hover, span_hover
from netra_diag.charts.timeline_lanes import run_label
from netra_diag.events.diff import DiffOp, RunDiff

__all__ = ["diff_figure"]


def diff_figure(diff: RunDiff, *, raw_chars: int = 300, title: str | None = None) -> go.Figure:
    """Top: the passing and the failing run on two lanes aligned at their start, grey lines joining
    each event to its counterpart, missing events (red ✕ on the failing lane, where the passing
    run had them) and extra ones (orange ◆). Bottom: per-phase durations side by side."""
    fig = make_subplots(
        rows=2,
        cols=1,
        row_heights=[0.55, 0.45],
        vertical_spacing=0.2,
        subplot_titles=("Events, aligned", "Time per phase (failing − passing)"),
    )
    sides = (
        (0, diff.passing_timeline, diff.passing_run),
        (1, diff.failing_timeline, diff.failing_run),
    )
    bars: dict[str, Series] = {}
    for lane, timeline, key in sides:
        zero = timeline.run_start(key)
        by_index = {te.index: te for te in timeline.events}
        for span in timeline.spans_of(key):
            if not finite(span.start, span.end):
                continue
            missing = timeline.is_missing_terminal(span)
            series = bars.setdefault(span_name(span, missing), Series())
            series.base.append((span.start - zero) * 1e3)
            series.x.append(span.duration * 1e3)
            series.y.append(lane)
            series.pattern.append("/" if span.unfinished else "")
            opener = by_index.get(span.indices[0]) if span.indices else None
            series.text.append(span_hover(span, opener, zero, raw_chars, missing_terminal=missing))
    for name in sorted(SPAN_COLORS, key=lambda name: not is_silence(name)):
        if name in bars:
            fig.add_trace(bar_trace(name, bars[name], 2), row=1, col=1)
    links_x: list[float | None] = []
    links_y: list[float | None] = []
    kinds: dict[str, Series] = {"same": Series(), "missing": Series(), "extra": Series()}
    for item in diff.aligned:
        if item.op is DiffOp.SAME and item.passing_t is not None and item.failing_t is not None:
            links_x += [item.passing_t * 1e3, item.failing_t * 1e3, None]
            links_y += [0, 1, None]
            for lane, t, te in (
                (0, item.passing_t, item.passing),
                (1, item.failing_t, item.failing),
            ):
                kinds["same"].x.append(t * 1e3)
                kinds["same"].y.append(lane)
                kinds["same"].text.append(frame_hover(te, te.t - t, raw_chars) if te else "")
        elif item.op is DiffOp.MISSING and item.passing_t is not None and item.passing is not None:
            kinds["missing"].x.append(item.passing_t * 1e3)
            kinds["missing"].y.append(1)
            kinds["missing"].text.append(
                f"<b>missing</b> {html.escape(item.token)}: the passing run had it at "
                f"{item.passing_t * 1e3:.1f} ms"
            )
        elif item.op is DiffOp.EXTRA and item.failing_t is not None and item.failing is not None:
            kinds["extra"].x.append(item.failing_t * 1e3)
            kinds["extra"].y.append(1)
            kinds["extra"].text.append(
                "<b>extra</b> "
                + frame_hover(item.failing, item.failing.t - item.failing_t, raw_chars)
            )
    fig.add_trace(
        go.Scatter(
            x=links_x,
            y=links_y,
            mode="lines",
            line={"color": "rgba(120,120,120,0.35)", "width": 1},
            hoverinfo="skip",
            name="aligned pairs",
        ),
        row=1,
        col=1,
    )
    styles = {
        "same": ("#444444", "line-ns-open", 10),
        "missing": ("#d62728", "x-thin-open", 16),
        "extra": ("#ff7f0e", "diamond", 12),
    }
    for name, series in kinds.items():
        color, symbol, size = styles[name]
        if series.x:
            fig.add_trace(
                marker_trace(name, series, 2, symbol=symbol, color=color, size=size, group=name),
                row=1,
                col=1,
            )
    phases = list(diff.phases)
    labels = [p.phase for p in phases]
    # Overlay mode (the lanes above need it), so the two runs' phase bars are offset by hand to
    # sit side by side instead of on top of each other.
    for side, values, color, offset in (
        ("passing", [p.passing_s for p in phases], "#2ca02c", -0.4),
        ("failing", [p.failing_s for p in phases], "#d62728", 0.0),
    ):
        fig.add_trace(
            go.Bar(
                name=f"{side} run",
                orientation="h",
                y=labels,
                x=[None if v is None else v * 1e3 for v in values],
                width=0.38,
                offset=offset,
                marker={"color": color},
                hovertemplate="%{y}: %{x:.1f} ms<extra>" + side + "</extra>",
                legendgroup="phases",
            ),
            row=2,
            col=1,
        )
    deltas = ["" if p.delta_s is None else f"{p.delta_s * 1e3:+.0f} ms" for p in phases]
    fig.add_trace(
        go.Scatter(
            x=[max((p.passing_s or 0.0), (p.failing_s or 0.0)) * 1e3 for p in phases],
            y=labels,
            mode="text",
            text=deltas,
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    fig.update_layout(
        title=title or diff.summary,
        barmode="overlay",
        template="plotly_white",
        height=680,
        hovermode="closest",
        legend={"groupclick": "togglegroup", "tracegroupgap": 6},
    )
    fig.update_xaxes(
        type="linear", ticksuffix=" ms", title_text="ms since each run started", row=1, col=1
    )
    fig.update_xaxes(type="linear", ticksuffix=" ms", title_text="duration", row=2, col=1)
    fig.update_yaxes(
        tickmode="array",
        tickvals=[0, 1],
        ticktext=[
            f"passing {run_label(diff.passing_run)}",
            f"failing {run_label(diff.failing_run)}",
        ],
        autorange="reversed",
        row=1,
        col=1,
    )
    fig.update_yaxes(autorange="reversed", row=2, col=1)
    return fig
