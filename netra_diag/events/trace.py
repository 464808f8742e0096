"""Export timelines as Chrome trace-event JSON, which Perfetto and chrome://tracing open as is.

Layout (Trace Event Format, "JSON Object Format"): each timeline (a cassette, a session) is a
process; inside it a ``session`` track holds connect/auth and socket gaps, and each run gets its own
track with its phases as complete slices (``ph: "X"``: waiting, thinking, each tool call,
completion) chained in time order by flow arrows (``ph: "s"`` / ``"f"`` with ``bp: "e"``, so each
arrow binds to the slice enclosing its timestamp). Slices that overlap others (parallel tools, a
tool left unfinished under the completion) move to extra tracks of the same run, because a track
only nests slices. Stalls go on a ``silences`` track beside the run. Every frame is an instant event
(``ph: "i"``) on its run's track, findings are instant events named after their rule, and ping round
trips are a counter (``ph: "C"``).

Timestamps are microseconds on the client clock since the start of each recording. Pure: the output
is a JSON-ready ``dict``; :func:`dumps_trace` serialises it (no NaN, which Perfetto rejects).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

from netra_diag import __version__
from netra_diag.events.contracts import ContractReport
from netra_diag.events.runs import RunKey
from netra_diag.events.spans import MISSING_TERMINAL
from netra_diag.events.timeline import Span, SpanKind, Timeline
from netra_diag.events.timeline_connects import REFUSED_CONNECT, is_refused_connect
from netra_diag.redaction import scrub

__all__ = ["build_trace", "dumps_trace", "trace_offset", "trace_us"]

SESSION_TID = 1
_PHASES = frozenset({SpanKind.WAITING, SpanKind.THINKING, SpanKind.TOOL, SpanKind.COMPLETION})
_SESSION_KINDS = frozenset({SpanKind.CONNECT, SpanKind.AUTH, SpanKind.GAP})


def trace_us(t: float, offset: float) -> float:
    """Client time ``t`` (seconds) as a trace timestamp: microseconds since ``offset``, rounded
    to a nanosecond (enough resolution, short JSON). Slices added to a built trace must use it
    with ``trace_offset``, or they drift from the rest."""
    return round((t - offset) * 1e6, 3)


def trace_offset(timeline: Timeline) -> float:
    """The time a timeline's timestamps count from in its trace process."""
    times = [te.t for te in timeline.events] + [m.t for m in timeline.marks]
    times += [s.start for s in timeline.spans]
    finite = [t for t in times if math.isfinite(t)]
    return min(0.0, min(finite)) if finite else 0.0


def _raw(text: str, limit: int) -> str:
    """``text`` scrubbed and cut to ``limit`` characters; none at all for a limit of 0 (asked for
    a trace without frame contents, not for the whole text minus one character)."""
    if limit <= 0:
        return ""
    # Scrub before cutting: a cut token would no longer look like one.
    clean = scrub(text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _lanes(spans: Sequence[Span]) -> list[int]:
    """Greedy interval partitioning: each slice goes to the first lane free at its start."""
    order = sorted(range(len(spans)), key=lambda i: (spans[i].start, -spans[i].end))
    lane_end: list[float] = []
    lanes = [0] * len(spans)
    for i in order:
        span = spans[i]
        for lane, end in enumerate(lane_end):
            if end <= span.start:
                lanes[i] = lane
                lane_end[lane] = span.end
                break
        else:
            lanes[i] = len(lane_end)
            lane_end.append(span.end)
    return lanes


class _Writer:
    def __init__(self, raw_chars: int) -> None:
        self.events: list[dict[str, Any]] = []
        self.raw_chars = raw_chars
        self.flow_id = 0

    def meta(self, name: str, pid: int, tid: int | None, args: dict[str, Any]) -> None:
        event: dict[str, Any] = {"ph": "M", "name": name, "pid": pid, "args": args}
        if tid is not None:
            event["tid"] = tid
        self.events.append(event)

    def thread(self, pid: int, tid: int, name: str, sort_index: int) -> None:
        self.meta("thread_name", pid, tid, {"name": name})
        self.meta("thread_sort_index", pid, tid, {"sort_index": sort_index})

    def slice(
        self, span: Span, pid: int, tid: int, offset: float, name: str = ""
    ) -> dict[str, Any]:
        name = name or _slice_name(span)
        args: dict[str, Any] = {"label": span.label, "indices": list(span.indices)}
        if span.run is not None:
            args["run"] = str(span.run)
        detail = _raw(span.detail, self.raw_chars) if span.detail else ""
        if detail:
            args["detail"] = detail
        if span.cause is not None:
            args["cause"] = str(span.cause)
        if span.unfinished:
            args["unfinished"] = True
        start = trace_us(span.start, offset)
        event = {
            "ph": "X",
            "name": name,
            "cat": str(span.kind),
            "pid": pid,
            "tid": tid,
            "ts": start,
            # From the rounded ends, not the rounded duration: ts + dur then lands exactly on the
            # next slice's ts, where rounding each alone could cross it by a nanosecond, and
            # Perfetto drops a slice that does not nest exactly.
            "dur": round(trace_us(span.end, offset) - start, 3),
            "args": args,
        }
        self.events.append(event)
        return event

    def flow(self, first: dict[str, Any], second: dict[str, Any]) -> None:
        self.flow_id += 1
        for ph, ev in (("s", first), ("f", second)):
            flow: dict[str, Any] = {
                "ph": ph,
                "id": self.flow_id,
                "name": "next phase",
                "cat": "flow",
                "pid": ev["pid"],
                "tid": ev["tid"],
                # Mid-slice, so the arrow binds to this slice and not to a neighbour touching it.
                "ts": round(ev["ts"] + ev["dur"] / 2, 3),
            }
            if ph == "f":
                flow["bp"] = "e"
            self.events.append(flow)


def _slice_name(span: Span) -> str:
    if span.kind is SpanKind.TOOL:
        return f"tool {span.label}"
    # (the charts' legend names a refused attempt's connect the same: span_name)
    return REFUSED_CONNECT if is_refused_connect(span) else str(span.kind)


def _finite_span(span: Span) -> bool:
    return math.isfinite(span.start) and math.isfinite(span.end)


def _add_timeline(
    writer: _Writer,
    timeline: Timeline,
    report: ContractReport | None,
    pid: int,
) -> None:
    offset = trace_offset(timeline)
    writer.meta("process_name", pid, None, {"name": timeline.label or f"session {pid}"})
    writer.meta("process_sort_index", pid, None, {"sort_index": pid})
    writer.thread(pid, SESSION_TID, "session", 0)
    tracks: dict[RunKey, int] = {}
    # Another user's runs, seen through the events leaked of them: their frames are drawn, not
    # their phases, or a leaked tool_executing would read as this session's call left unfinished.
    foreign = report.foreign_runs if report is not None else frozenset()
    for j, key in enumerate(timeline.runs):
        base = 100 * (j + 1)
        tracks[key] = base
        leaked = " (another user's, leaked)" if key in foreign else ""
        writer.thread(pid, base, f"run {key}{leaked}", base)

    def track(run: RunKey | None) -> int:
        return SESSION_TID if run is None or run not in tracks else tracks[run]

    session = sorted(
        (
            s
            for s in timeline.spans
            if _finite_span(s) and (s.run is None or s.kind in _SESSION_KINDS)
        ),
        key=lambda s: s.start,
    )
    overlap_tracks: set[int] = set()
    for span, lane in zip(session, _lanes(session), strict=True):
        # Connect, auth and gaps follow each other; odd streams (frames before the welcome frame)
        # can make them overlap, and an overlapping slice goes to a track of its own.
        tid = SESSION_TID if lane == 0 else SESSION_TID + lane
        if lane and tid not in overlap_tracks:
            overlap_tracks.add(tid)
            writer.thread(pid, tid, f"session (overlap {lane})", tid)
        writer.slice(span, pid, tid, offset)
    for key, base in tracks.items():
        if key in foreign:
            continue
        own = [s for s in timeline.spans_of(key) if _finite_span(s)]
        phases = sorted((s for s in own if s.kind in _PHASES), key=lambda s: s.start)
        lanes = _lanes(phases)
        named: set[int] = set()
        slices = []
        for span, lane in zip(phases, lanes, strict=True):
            tid = base if lane == 0 else base + 1 + lane
            if lane and tid not in named:
                named.add(tid)
                writer.thread(pid, tid, f"run {key} (overlap {lane})", tid)
            slices.append(writer.slice(span, pid, tid, offset))
        for first, second in itertools.pairwise(slices):
            writer.flow(first, second)
        stalls = [s for s in own if s.kind is SpanKind.STALL]
        if stalls:
            writer.thread(pid, base + 1, f"run {key} silences", base + 1)
            for span, lane in zip(stalls, _lanes(stalls), strict=True):
                # Stalls of one run never overlap; lanes only guard against odd clocks. The
                # silence of a run that never completed is named for that, as the charts do.
                name = MISSING_TERMINAL if timeline.is_missing_terminal(span) else ""
                tid = base + 1 if lane == 0 else base + 50 + lane
                writer.slice(span, pid, tid, offset, name)
    for te, run in zip(timeline.events, timeline.event_runs, strict=True):
        if not math.isfinite(te.t):
            continue
        args: dict[str, Any] = {"index": te.index, "envelope": str(te.event.envelope)}
        if te.event.problem:
            args["problem"] = te.event.problem
        raw = _raw(te.event.raw, writer.raw_chars) if te.event.raw else ""
        if raw:
            args["raw"] = raw
        writer.events.append(
            {
                "ph": "i",
                "s": "t",
                "name": te.type or "invalid frame",
                "cat": "frame",
                "pid": pid,
                "tid": track(run),
                "ts": trace_us(te.t, offset),
                "args": args,
            }
        )
    for t, rtt in timeline.rtt_samples:
        if rtt is not None and math.isfinite(t):
            writer.events.append(
                {
                    "ph": "C",
                    "name": "ping RTT (ms)",
                    "pid": pid,
                    "ts": trace_us(t, offset),
                    "args": {"rtt_ms": round(rtt, 3)},
                }
            )
    if report is not None:
        for finding in report.findings:
            when = finding.t if finding.t is not None and math.isfinite(finding.t) else None
            writer.events.append(
                {
                    "ph": "i",
                    "s": "t" if when is not None else "p",
                    "name": f"{finding.severity}: {finding.rule}",
                    "cat": "finding",
                    "pid": pid,
                    "tid": track(finding.run),
                    "ts": trace_us(when if when is not None else offset, offset),
                    "args": {
                        "message": _raw(finding.message, 1000),
                        "indices": list(finding.indices),
                    },
                }
            )


def build_trace(
    timelines: Timeline | Iterable[Timeline],
    *,
    reports: Sequence[ContractReport | None] | None = None,
    raw_chars: int = 512,
) -> dict[str, Any]:
    """A Chrome trace-event document for one or more timelines (one process each).

    ``reports`` (aligned with ``timelines``) adds each finding as an instant event. Frame texts are
    scrubbed (:func:`netra_diag.redaction.scrub`) and cut to ``raw_chars``.
    """
    items = [timelines] if isinstance(timelines, Timeline) else list(timelines)
    writer = _Writer(raw_chars)
    for i, timeline in enumerate(items):
        report = reports[i] if reports is not None and i < len(reports) else None
        _add_timeline(writer, timeline, report, i + 1)
    return {
        "traceEvents": writer.events,
        "displayTimeUnit": "ms",
        "otherData": {
            "generator": f"netra_diag {__version__}",
            "sources": [t.label for t in items],
            "clock": "client monotonic, microseconds since each recording started",
        },
    }


def dumps_trace(trace: dict[str, Any]) -> str:
    """Serialise a trace document; raises ValueError on NaN/inf, which would not load."""
    return json.dumps(trace, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
