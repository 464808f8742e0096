"""Hover texts of the timeline figures: spans, frames and findings, with each frame's text scrubbed
before it is cut (a cut token would no longer look like one) and HTML-escaped."""

from __future__ import annotations

import html

from netra_diag.events.contracts import Finding
from netra_diag.events.model import TimedEvent
from netra_diag.events.spans import MISSING_TERMINAL
from netra_diag.events.timeline import Span
from netra_diag.redaction import scrub

__all__ = ["NO_TERMINAL", "finding_hover", "frame_hover", "raw_hover", "span_hover"]

# (see netra_diag.events.spans.MISSING_TERMINAL: a missing terminal event is no stall)
NO_TERMINAL = MISSING_TERMINAL


def raw_hover(text: str, limit: int = 300, width: int = 80) -> str:
    """A frame's text for a hover box: scrubbed first (a cut token would not look like one), cut to
    ``limit`` characters, HTML-escaped and wrapped every ``width`` characters; nothing for a limit
    of 0 (a figure asked to show no frame contents)."""
    if limit <= 0:
        return ""
    clean = " ".join(scrub(text).split())
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    lines = [html.escape(clean[i : i + width]) for i in range(0, len(clean), width)]
    return "<br>".join(lines)


def span_hover(
    span: Span,
    event: TimedEvent | None,
    zero: float,
    raw_chars: int = 300,
    *,
    missing_terminal: bool = False,
) -> str:
    """``missing_terminal``: the span is a run's never-ended silence
    (``Timeline.is_missing_terminal``)."""
    start, end = (span.start - zero) * 1e3, (span.end - zero) * 1e3
    head = f"<b>{html.escape(str(span.kind))}</b> {html.escape(span.label)}"
    if missing_terminal:
        head = (
            f"<b>{NO_TERMINAL}</b> the run never completed: nothing of it for "
            f"{span.duration:.1f} s after its last event, to the end of the stream"
        )
    lines = [head, f"{start:.1f} → {end:.1f} ms ({span.duration * 1e3:.1f} ms)"]
    if span.unfinished:
        lines[-1] += ", unfinished"
    if span.run is not None:
        lines.append(f"run {html.escape(str(span.run))}")
    # The detail quotes frames too (a tool's parameters, the agent's thoughts): held to the same
    # limit as the frames' text.
    detail = raw_hover(span.detail, min(240, raw_chars)) if span.detail else ""
    if detail:
        lines.append(detail)
    shown = raw_hover(event.event.raw, raw_chars) if event is not None else ""
    if event is not None and shown:
        lines.append(f"<i>frame #{event.index}</i>: " + shown)
    return "<br>".join(lines)


def frame_hover(te: TimedEvent, zero: float, raw_chars: int = 300) -> str:
    name = html.escape(te.type or "invalid frame")
    lines = [f"<b>{name}</b> #{te.index} at {(te.t - zero) * 1e3:.1f} ms"]
    if te.event.problem:
        lines.append(html.escape(te.event.problem))
    shown = raw_hover(te.event.raw, raw_chars)
    if shown:
        lines.append(shown)
    return "<br>".join(lines)


def finding_hover(finding: Finding) -> str:
    head = f"<b>{html.escape(str(finding.severity))}: {html.escape(str(finding.rule))}</b>"
    return head + "<br>" + raw_hover(finding.message, 400)
