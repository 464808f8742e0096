"""Turn an event stream into spans: where the time of a session went.

Phases, per run (PROTOCOL.md §5): *connect* (TCP/TLS/HTTP upgrade) and *auth* (upgrade to the
``connection_established`` frame), *waiting* (message sent to the run's first event), *thinking*
(while no tool runs), one span per *tool* call (``tool_executing`` to its ``tool_completed``), and
*completion* (the last event before the terminal one, to the terminal event). Silences are spans
too: a *gap* is a stretch with no frame at all on the socket; a *stall* is an open run that sent
nothing for a while (heartbeats may still arrive). When ping round-trip samples exist (``ping_rtt``
marks), a stall is attributed to the *server* (pings answered on time throughout) or the *network*
(pings late).

:class:`TimelineBuilder` consumes events one at a time (a live session), :func:`build_timeline` a
whole stream; both produce the same spans. Times are seconds on the client clock, relative to the
start of the session or recording. Pure: no I/O, no clock.

The builder sees every frame and mark and draws the socket's gaps itself; it hands the connection
attempts to :class:`~netra_diag.events.timeline_connects.ConnectSpans` and the events of each run to
:class:`~netra_diag.events.timeline_runs.RunSpans`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from netra_diag.events.model import TimedEvent
from netra_diag.events.requests import NO_ANSWER, PendingRequests
from netra_diag.events.runs import RunKey, RunResolver
from netra_diag.events.spans import (
    Mark,
    MarkLike,
    Span,
    SpanKind,
    StallCause,
    Timeline,
    TimelineConfig,
    as_mark,
    attribute_stall,
    rtt_of,
)
from netra_diag.events.timeline_connects import ConnectSpans
from netra_diag.events.timeline_runs import RunSpans

__all__ = [
    "Mark",
    "MarkLike",
    "Span",
    "SpanKind",
    "StallCause",
    "Timeline",
    "TimelineBuilder",
    "TimelineConfig",
    "attribute_stall",
    "build_timeline",
]

# Client → server frame types that do not ask the agent for anything: they never start a wait.
_NOT_A_REQUEST = frozenset(
    {"ping", "pong", "heartbeat", "heartbeat_ack", "handshake_acknowledged", "ack"}
)


class TimelineBuilder:
    """Builds spans incrementally: :meth:`add` each event (and :meth:`add_mark` each mark) in
    arrival order; each call returns the spans it closed. :meth:`open_spans` shows what is still
    running at a given time; :meth:`finish` returns the :class:`Timeline` without changing the
    builder."""

    def __init__(
        self,
        config: TimelineConfig | None = None,
        *,
        resolver: RunResolver | None = None,
        label: str = "",
    ) -> None:
        self.config = config or TimelineConfig()
        self.resolver = resolver or RunResolver()
        self.label = label
        self._spans: list[Span] = []
        self._events: list[TimedEvent] = []
        self._event_runs: list[RunKey | None] = []
        self._marks: list[Mark] = []
        self._rtts: list[tuple[float, float | None]] = []
        self._last_frame: TimedEvent | None = None
        self._connects = ConnectSpans()
        self._connected = False
        self._requests = PendingRequests()
        self._runs = RunSpans(self.config, self._requests, self._rtts)
        self._latest = 0.0

    # -- input ---------------------------------------------------------------------------------

    def add(self, te: TimedEvent) -> list[Span]:
        """Take the next incoming event; return the spans it closed."""
        closed: list[Span] = []
        key = self.resolver.key_for(te.event)
        self._events.append(te)
        self._event_runs.append(key)
        self._see(te.t)
        last = self._last_frame
        if last is not None and te.t - last.t > self.config.gap_threshold_s:
            silence = te.t - last.t
            closed.append(
                Span(
                    SpanKind.GAP,
                    last.t,
                    te.t,
                    None,
                    f"no frame for {silence:.1f} s",
                    (last.index, te.index),
                )
            )
        self._last_frame = te
        self._connects.received(te.t)
        if te.type == "connection_established":
            closed += self._connects.established(te.t, (te.index,), first=not self._connected)
            self._connected = True
        if key is not None:
            closed += self._runs.add(te, key)
        return self._keep(closed)

    def add_mark(self, mark: MarkLike) -> list[Span]:
        """Take the next lifecycle mark (any mark-like object); return the spans it closed."""
        mark = as_mark(mark)
        closed: list[Span] = []
        self._marks.append(mark)
        self._see(mark.t)
        name = mark.name
        data = mark.data if isinstance(mark.data, Mapping) else {}
        if name == "connect_start":
            closed += self._connects.started(mark.t)
        elif name == "upgrade_done":
            closed += self._connects.upgraded(mark.t, data)
        elif name == "transport_attempt":
            closed += self._connects.ended(mark.t, data)
        elif name == "connection_established":
            closed += self._connects.established(mark.t, (), first=not self._connected)
            self._connected = True
        elif name in ("message_sent", "frame_out"):
            sent_type = data.get("type")
            if not (isinstance(sent_type, str) and sent_type in _NOT_A_REQUEST):
                self._requests.sent(mark.t)
        elif name == "run_end":
            lost = self._requests.abandoned(mark)
            closed += [lost] if lost is not None else []
        elif name == "ping_rtt":
            self._rtts.append(rtt_of(mark))
        return self._keep(closed)

    # -- output --------------------------------------------------------------------------------

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(self._spans)

    @property
    def runs(self) -> tuple[RunKey, ...]:
        """Runs seen so far, in order of their first event."""
        return self._runs.runs

    @property
    def last_run(self) -> RunKey | None:
        """The run of the event added last (None for frames outside any run)."""
        return self._event_runs[-1] if self._event_runs else None

    def open_spans(self, now: float | None = None) -> list[Span]:
        """Spans still open at ``now`` (default: the latest time seen), marked ``unfinished``."""
        now = self._latest if now is None else now
        out: list[Span] = []
        for sent in self._requests.pending:
            out.append(
                Span(
                    SpanKind.WAITING,
                    sent,
                    now,
                    None,
                    "waiting for the first event",
                    unfinished=True,
                )
            )
        out += self._runs.open_spans(now)
        return self._keep(out, record=False)

    def finish(self, end: float | None = None) -> Timeline:
        """The timeline so far; runs still open are closed at ``end`` (default: the latest time
        seen) with their spans marked ``unfinished``."""
        end = self._latest if end is None else end
        held = self._connects.held
        closing: list[Span] = [held] if held is not None else []
        closing += self._runs.closing(end)
        for sent in self._requests.pending:
            # A request still unanswered when the stream ended: its wait is what it got.
            closing.append(Span(SpanKind.WAITING, sent, end, None, NO_ANSWER, unfinished=True))
        runs = tuple(dict.fromkeys(k for k in self._event_runs if k is not None))
        return Timeline(
            events=tuple(self._events),
            event_runs=tuple(self._event_runs),
            marks=tuple(self._marks),
            spans=tuple(self._spans) + tuple(self._keep(closing, record=False)),
            runs=runs,
            label=self.label,
            end=end,
        )

    # -- internals -----------------------------------------------------------------------------

    def _see(self, t: float) -> None:
        if math.isfinite(t) and t > self._latest:
            self._latest = t

    def _keep(self, spans: list[Span], *, record: bool = True) -> list[Span]:
        # A clock that jumps backwards or a non-finite time would draw nonsense; such spans are
        # dropped here (the contract checks still see the events).
        good = [
            s for s in spans if math.isfinite(s.start) and math.isfinite(s.end) and s.end >= s.start
        ]
        if record:
            self._spans.extend(good)
        return good


def build_timeline(
    events: Iterable[TimedEvent],
    marks: Iterable[MarkLike] = (),
    *,
    config: TimelineConfig | None = None,
    label: str = "",
    end: float | None = None,
) -> Timeline:
    """Spans for a whole stream. Events are taken in the order given (arrival order); each mark is
    fed just before the first event later than it. Run ids missing from some frames are resolved
    against the whole stream (see :mod:`netra_diag.events.runs`)."""
    stream = tuple(events)
    resolver = RunResolver()
    resolver.prime(stream)
    builder = TimelineBuilder(config, resolver=resolver, label=label)
    pending = sorted(
        (as_mark(m) for m in marks), key=lambda m: m.t if math.isfinite(m.t) else math.inf
    )
    i = 0
    for te in stream:
        while i < len(pending) and pending[i].t <= te.t:
            builder.add_mark(pending[i])
            i += 1
        builder.add(te)
    for mark in pending[i:]:
        builder.add_mark(mark)
    return builder.finish(end)
