"""The connect span of an attempt its ``transport_attempt`` mark says was refused is labelled so
by the timeline builder, and the trace export and the plotly timeline both show that one label:
an upgrade answered with HTTP 101 and then closed 1008 is no connect."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from event_streams import timed

from netra_diag.charts.timeline import SPAN_COLORS, span_name, timeline_figure
from netra_diag.events.timeline import Mark, SpanKind, TimelineBuilder, build_timeline
from netra_diag.events.timeline_connects import REFUSED_CONNECT, is_refused_connect
from netra_diag.events.trace import build_trace

HEADER_REFUSED = "connect (refused): header closed 1008, after HTTP 101"


def _refused(t: float, transport: str, **data: Any) -> Mark:
    return Mark("transport_attempt", t, {"transport": transport, **data})


def _auto_marks() -> list[Mark]:
    """``--transport auto`` that got in on its second transport: header upgraded (101), was
    sent AUTH_FAILED and closed 1008; query connected."""
    return [
        Mark("connect_start", 0.0, {"transport": "header", "attempt": 1}),
        Mark("upgrade_done", 0.01, {"status": 101}),
        Mark("close", 0.02, {"code": 1008}),
        _refused(
            0.021,
            "header",
            outcome="closed",
            close_code=1008,
            status=None,
            detail="Authentication\n failed",
        ),
        Mark("connect_start", 0.03, {"transport": "query", "attempt": 2}),
        Mark("upgrade_done", 0.04, {"status": 101}),
        _refused(0.051, "query", outcome="validated", server_user_id="u1"),
    ]


def _auto_timeline() -> Any:
    welcome = timed([(0.05, {"type": "connection_established", "user_id": "u1"})])
    return build_timeline(welcome, _auto_marks(), label="auto")


def test_the_refused_attempts_connect_span_is_labelled_refused_and_the_kept_one_is_not() -> None:
    spans = _auto_timeline().spans_of(None)
    connects = [s for s in spans if s.kind is SpanKind.CONNECT]
    assert [s.label for s in connects] == [HEADER_REFUSED, "connect (HTTP 101)"]
    assert (connects[0].start, connects[0].end) == (0.0, 0.01)  # the upgrade, as before
    assert connects[0].detail == "Authentication failed"
    assert [is_refused_connect(s) for s in connects] == [True, False]
    assert [str(s.kind) for s in spans] == ["connect", "connect", "auth"]


def test_the_trace_and_the_figure_name_and_label_it_alike() -> None:
    timeline = _auto_timeline()
    trace = build_trace(timeline)
    slices = sorted(
        (e for e in trace["traceEvents"] if e.get("cat") == "connect" and e["ph"] == "X"),
        key=lambda e: e["ts"],
    )
    assert [(e["name"], e["args"]["label"]) for e in slices] == [
        (REFUSED_CONNECT, HEADER_REFUSED),
        ("connect", "connect (HTTP 101)"),
    ]
    fig = timeline_figure(timeline)
    bars = {t.name: t for t in fig.data if isinstance(t, go.Bar)}
    assert REFUSED_CONNECT in bars and REFUSED_CONNECT in SPAN_COLORS
    assert HEADER_REFUSED in bars[REFUSED_CONNECT].hovertext[0]
    assert all("refused" not in text for text in bars["connect"].hovertext)
    refused = next(s for s in timeline.spans if is_refused_connect(s))
    assert span_name(refused) == REFUSED_CONNECT


def test_an_attempt_refused_before_any_upgrade_still_gets_its_span() -> None:
    marks = [
        Mark("connect_start", 1.0, {"transport": "header", "attempt": 1}),
        Mark("handshake_rejected", 1.002, {"status": 403}),
        _refused(1.003, "header", outcome="rejected", status=403, close_code=None),
    ]
    (span,) = build_timeline([], marks).spans
    assert (span.kind, span.start, span.end) == (SpanKind.CONNECT, 1.0, 1.003)
    assert span.label == "connect (refused): header rejected HTTP 403"


def test_without_attempt_marks_an_upgrade_is_a_connect_as_before() -> None:
    # (cassettes recorded before transport_attempt marks, and a stream cut after the upgrade)
    marks = [
        Mark("connect_start", 0.0),
        Mark("upgrade_done", 0.01, {"status": 101}),
        Mark("connect_start", 0.5),
        Mark("upgrade_done", 0.52, {"status": 101}),
    ]
    spans = build_timeline([], marks).spans
    assert [(s.label, s.start, s.end) for s in spans] == [
        ("connect (HTTP 101)", 0.0, 0.01),
        ("connect (HTTP 101)", 0.5, 0.52),
    ]


def test_the_builder_holds_an_upgrade_until_its_attempt_says_how_it_ended() -> None:
    builder = TimelineBuilder()
    marks = _auto_marks()
    assert builder.add_mark(marks[0]) == [] and builder.add_mark(marks[1]) == []
    # What the stream ends on meanwhile: the upgrade, as far as it is known.
    assert [s.label for s in builder.finish().spans] == ["connect (HTTP 101)"]
    builder.add_mark(marks[2])
    assert [s.label for s in builder.add_mark(marks[3])] == [HEADER_REFUSED]
    assert [s.label for s in builder.finish().spans] == [HEADER_REFUSED]


def test_a_ticket_refused_before_any_socket_draws_no_connect() -> None:
    # (the ticket request failed: a transport_attempt without a connect_start of its own)
    marks = [
        Mark("connect_start", 0.0, {"transport": "header", "attempt": 1}),
        _refused(0.002, "header", outcome="rejected", status=403),
        _refused(0.01, "ticket", outcome="failed", detail="no ticket"),
    ]
    spans = build_timeline([], marks).spans
    assert [s.label for s in spans] == ["connect (refused): header rejected HTTP 403"]
