"""Triage at a glance: what fails in which suite, by which cause, and which tests flip.

Three figures of a ``TriageReport`` (``netra_diag.suites.triage``), for a notebook or a report
page, where a reader would rather look than read the tables:

- :func:`suite_outcomes_figure`: each suite's tests by outcome, stacked, worst suite on top (the
  report's own order), with the baseline's passes marked where there is a baseline;
- :func:`causes_figure`: failing tests per failure category, split by the phase they failed in;
- :func:`flakiness_figure`: the flaky tests' outcome run by run (with ``history``), newest right.

Builders are pure: a report in, a ``go.Figure`` out. Test ids and messages are scrubbed (a
failure's text may quote a token).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import plotly.graph_objects as go

from netra_diag.redaction import scrub
from netra_diag.suites.categories import category_label
from netra_diag.suites.model import suite_label
from netra_diag.suites.phases import Phase
from netra_diag.suites.remediation import SuiteStatus
from netra_diag.suites.triage import TriageReport
from netra_diag.wording import plural

__all__ = ["causes_figure", "flakiness_figure", "suite_outcomes_figure"]

_TEMPLATE = "plotly_white"
# Outcome colours as test runners print them: green passes, red failures, orange errors.
_OUTCOMES = (
    ("passed", "#2ca02c"),
    ("failed", "#d62728"),
    ("errors", "#ff7f0e"),
    ("skipped", "#c7c7c7"),
    ("xfailed", "#9edae5"),
    ("xpassed", "#bcbd22"),
)
# One colour per phase, in the order a session goes through them.
_PHASE_COLOURS = {
    Phase.COLLECTION: "#8c564b",
    Phase.SETUP: "#e377c2",
    Phase.CONNECT: "#9ecae1",
    Phase.AUTH: "#6baed6",
    Phase.FIRST_EVENT: "#9467bd",
    Phase.TOOL: "#2ca02c",
    Phase.COMPLETION: "#1f77b4",
    Phase.TEARDOWN: "#7f7f7f",
    Phase.UNKNOWN: "#c7c7c7",
}
_ROW_PX = 28  # height per bar, so that a long list of suites or causes stays readable
_LABEL_CHARS = 48
_HOVER_MESSAGES = 3


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _layout(fig: go.Figure, title: str, rows: int, top: int, **extra: object) -> go.Figure:
    """``top``: the longest bar's count; up to 10, a tick at every whole number (plotly would
    otherwise mark 0.5, 1.5, ... on an axis of test counts)."""
    fig.update_layout(
        title=title,
        template=_TEMPLATE,
        barmode="stack",
        height=max(220, 120 + _ROW_PX * rows),
        # (above the bars, in the order the traces were added: below, it ran into the axis
        # title; stacked bars list their legend backwards by default)
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "traceorder": "normal"},
        margin={"l": 20, "r": 20, "t": 90, "b": 40},
        **extra,
    )
    fig.update_yaxes(autorange="reversed", automargin=True)  # the first row on top
    fig.update_xaxes(rangemode="tozero", dtick=1 if top <= 10 else None)
    return fig


def _empty(title: str, why: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title=title, template=_TEMPLATE, height=220)
    return fig


def _outcome_counts(status: SuiteStatus) -> dict[str, int]:
    c = status.counts
    # (passes as the report counts them: a test that passed and then errored is not one)
    return {
        "passed": status.passed,
        "failed": c.failed,
        "errors": c.errors,
        "skipped": c.skipped,
        "xfailed": c.xfailed,
        "xpassed": c.xpassed,
    }


def suite_outcomes_figure(report: TriageReport) -> go.Figure:
    """Each suite's tests by outcome, stacked, in the report's order (worst first, on top);
    with a baseline, a diamond at the number of tests that passed there."""
    title = "Tests by outcome, per suite"
    statuses = report.suites
    if not statuses:
        return _empty(title, "no tests in the results")
    names = [_short(suite_label(s.suite)) for s in statuses]
    counts = [_outcome_counts(s) for s in statuses]
    fig = go.Figure()
    for outcome, colour in _OUTCOMES:
        values = [c[outcome] for c in counts]
        if not any(values):
            continue
        fig.add_trace(
            go.Bar(
                y=names,
                x=values,
                orientation="h",
                name=outcome,
                marker_color=colour,
                customdata=[s.tests for s in statuses],
                hovertemplate=f"%{{y}}: %{{x}} {outcome} of %{{customdata}} tests<extra></extra>",
            )
        )
    based = [(name, s) for name, s in zip(names, statuses, strict=True) if s.baseline]
    if based:
        fig.add_trace(
            go.Scatter(
                y=[name for name, _ in based],
                x=[_baseline_passes(s) for _, s in based],
                mode="markers",
                name="passed in the baseline",
                marker={"symbol": "diamond", "size": 11, "color": "#333", "line_width": 1},
                hovertemplate="%{y}: %{x} passed in the baseline<extra></extra>",
            )
        )
    top = max((sum(c.values()) for c in counts), default=0)
    return _layout(fig, title, len(names), top, xaxis_title="tests")


def _baseline_passes(status: SuiteStatus) -> int:
    if status.baseline_passing is not None:
        return status.baseline_passing
    return status.baseline.passed if status.baseline else 0


def causes_figure(report: TriageReport) -> go.Figure:
    """Failing tests per failure category (PROTOCOL.md §9), split by the phase they failed in;
    most tests on top. The hover names the clusters' messages."""
    title = "Failing tests by cause, and the phase they failed in"
    if not report.clusters:
        return _empty(title, "nothing failed")
    tests: dict[str, dict[Phase, int]] = defaultdict(lambda: defaultdict(int))
    said: dict[str, list[str]] = defaultdict(list)
    for cluster in report.clusters:
        if not cluster.counted:
            continue  # (its tests failed first for another cause, drawn with that one)
        label = category_label(cluster.category)
        tests[label][cluster.phase] += cluster.counted
        said[label].append(cluster.signature.message or cluster.signature.exc_type)
    order = sorted(tests, key=lambda label: -sum(tests[label].values()))
    fig = go.Figure()
    for phase, colour in _PHASE_COLOURS.items():
        values = [tests[label].get(phase, 0) for label in order]
        if not any(values):
            continue
        fig.add_trace(
            go.Bar(
                y=[_short(label) for label in order],
                x=values,
                orientation="h",
                name=str(phase),
                marker_color=colour,
                customdata=[_hover_messages(said[label]) for label in order],
                hovertemplate=f"%{{y}}, phase {phase}: %{{x}} tests<br>%{{customdata}}"
                "<extra></extra>",
            )
        )
    top = max((sum(tests[label].values()) for label in order), default=0)
    return _layout(fig, title, len(order), top, xaxis_title="failing tests", legend_title="phase")


def _hover_messages(messages: Sequence[str]) -> str:
    shown = [scrub(_short(m, 90)) for m in dict.fromkeys(messages)]
    more = len(shown) - _HOVER_MESSAGES
    lines = shown[:_HOVER_MESSAGES] + ([f"… and {plural(more, 'other cause')}"] if more > 0 else [])
    return "<br>".join(lines)


# History letters (netra_diag.suites.flaky.FlakyTest.history) as numbers for the heatmap.
_HISTORY = {"F": 0.0, "R": 0.5, "P": 1.0}
_HISTORY_WORDS = {"F": "failed", "R": "passed on retry", "P": "passed"}
_FLAKY_SCALE = [[0.0, "#d62728"], [0.5, "#ffbb78"], [1.0, "#2ca02c"]]


def flakiness_figure(report: TriageReport, *, most: int = 30) -> go.Figure:
    """The flakiest tests (at most ``most``), one row each: its outcome in each run that ran it,
    the newest on the right (a test some runs did not run has fewer cells, aligned right); red
    failed, orange passed on retry, green passed."""
    title = "Flaky tests, run by run"
    flakiness = report.flakiness
    if flakiness is None:
        return _empty(title, "no history given (triage --history)")
    if not flakiness.flaky:
        return _empty(title, flakiness.summary())
    flaky = flakiness.flaky[:most]
    width = max(len(t.history) for t in flaky)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    words: list[list[str]] = []
    for t in flaky:
        pad = width - len(t.history)  # (runs that did not run the test: left blank)
        blank: list[float | None] = [None] * pad
        z.append(blank + [_HISTORY.get(letter) for letter in t.history])
        # The letter in the cell: a page read in print or by the colour-blind needs no hover
        text.append([""] * pad + list(t.history))
        words.append([""] * pad + [_HISTORY_WORDS.get(letter, letter) for letter in t.history])
    labels = [_short(scrub(t.test_id), 60) for t in flaky]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            y=labels,
            x=list(range(1 - width, 1)),  # 0: the newest run that ran the test
            text=text,
            texttemplate="%{text}",
            customdata=words,
            colorscale=_FLAKY_SCALE,
            zmin=0,
            zmax=1,
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate="%{y}<br>run %{x}: %{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(
        title="the runs that ran each test, newest (0) on the right: "
        + ", ".join(f"{letter} {word}" for letter, word in _HISTORY_WORDS.items()),
        dtick=1,
        showgrid=False,
    )
    fig.update_layout(
        title=f"{title}: {flakiness.summary()}",
        template=_TEMPLATE,
        height=max(220, 120 + _ROW_PX * len(flaky)),
        margin={"l": 20, "r": 20, "t": 60, "b": 40},
    )
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig
