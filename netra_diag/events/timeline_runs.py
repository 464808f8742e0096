"""The spans of each run, from its events: *waiting* (the request to the run's first event),
*thinking* (while no tool runs), one *tool* span per call (``tool_executing`` to its
``tool_completed`` or ``tool_error``), *completion* (the last event before the terminal one, to
the terminal event) and *stall* (an open run silent for a while, attributed from the ping
round-trip samples). :class:`~netra_diag.events.timeline.TimelineBuilder` feeds it the events
that belong to a run; the connect spans are :mod:`netra_diag.events.timeline_connects`'. Pure.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from netra_diag.events.model import TERMINAL_EVENTS, TimedEvent
from netra_diag.events.requests import PendingRequests
from netra_diag.events.resends import ResendTracker
from netra_diag.events.rules.base import clip
from netra_diag.events.runs import RunKey
from netra_diag.events.spans import Span, SpanKind, TimelineConfig, attribute_stall

__all__ = ["RunSpans"]


@dataclass
class _RunState:
    key: RunKey
    last: TimedEvent
    segment_start: float | None
    open_tools: dict[str, deque[TimedEvent]] = field(default_factory=dict)
    thoughts: list[str] = field(default_factory=list)
    terminated: bool = False
    resends: ResendTracker = field(default_factory=ResendTracker)


class RunSpans:
    """Spans of every run of one session. ``requests`` are the session's requests still
    unanswered (a new run waits from the oldest); ``rtts`` its ping round-trip samples so far,
    shared with the builder that appends to it."""

    def __init__(
        self,
        config: TimelineConfig,
        requests: PendingRequests,
        rtts: list[tuple[float, float | None]],
    ) -> None:
        self.config = config
        self._requests = requests
        self._rtts = rtts
        self._runs: dict[RunKey, _RunState] = {}

    @property
    def runs(self) -> tuple[RunKey, ...]:
        """Runs seen so far, in order of their first event."""
        return tuple(self._runs)

    def add(self, te: TimedEvent, key: RunKey) -> list[Span]:
        """The next event of run ``key``; returns the spans it closed."""
        closed: list[Span] = []
        state = self._runs.get(key)
        if state is None:
            sent = self._requests.take(te.t)
            if sent is not None:
                wait = te.t - sent
                closed.append(
                    Span(
                        SpanKind.WAITING,
                        sent,
                        te.t,
                        key,
                        f"waiting for the first event ({wait * 1e3:.0f} ms)",
                        (te.index,),
                    )
                )
                if wait > self.config.stall_threshold_s:
                    # A silent wait is a stall too, attributed like one inside a run.
                    closed.append(self._stall_between(key, sent, te.t, te))
            state = _RunState(key, te, te.t)
            self._runs[key] = state
        elif state.terminated:
            return closed  # the contract checks report events after the terminal one
        if state.resends.resend_of(te) is not None:
            return closed  # a resend: drawn as a frame, but it opens and closes nothing
        if state.last is not te and te.t - state.last.t > self.config.stall_threshold_s:
            closed.append(self._stall(key, state.last, te.t, te))
        etype = te.type
        if etype == "tool_executing":
            if state.segment_start is not None:
                closed.append(self._thinking_span(state, state.segment_start, te.t, te))
            state.segment_start = None
            state.open_tools.setdefault(te.event.tool_name or "", deque()).append(te)
        elif etype in ("tool_completed", "tool_error"):
            calls = state.open_tools.get(te.event.tool_name or "")
            if calls:
                # The latest open call of the tool, as the contract pairs them (rules.tools):
                # after a lost completion the drawing and the finding name the same call.
                closed.append(self._tool_span(key, calls.pop(), te.t, te))
                if not any(state.open_tools.values()) and state.segment_start is None:
                    state.segment_start = te.t
        elif etype in TERMINAL_EVENTS:
            before = state.last
            if state.segment_start is not None and before.t > state.segment_start:
                closed.append(self._thinking_span(state, state.segment_start, before.t, before))
            for calls in state.open_tools.values():
                while calls:
                    closed.append(self._tool_span(key, calls.popleft(), te.t, te, unfinished=True))
            start = before.t if before is not te else te.t
            closed.append(
                Span(
                    SpanKind.COMPLETION,
                    start,
                    te.t,
                    key,
                    f"completion ({etype})",
                    (before.index, te.index),
                )
            )
            state.terminated = True
            state.segment_start = None
        else:
            thought = te.event.get("reasoning") or te.event.get("thought")
            if thought is not None and len(state.thoughts) < 3:
                state.thoughts.append(clip(thought, 60))
        state.last = te
        return closed

    def open_spans(self, now: float) -> list[Span]:
        """What the runs still open are doing at ``now``, marked ``unfinished``."""
        out: list[Span] = []
        for state in self._runs.values():
            if state.terminated:
                continue
            for calls in state.open_tools.values():
                for call in calls:
                    out.append(self._tool_span(state.key, call, now, None, unfinished=True))
            if state.segment_start is not None:
                out.append(self._thinking_span(state, state.segment_start, now, unfinished=True))
            silent = now - state.last.t
            if silent > self.config.stall_threshold_s:
                out.append(self._stall(state.key, state.last, now, None, unfinished=True))
        return out

    def closing(self, end: float) -> list[Span]:
        """The spans that close the runs still open when the stream ends at ``end``: their tools
        (``unfinished``), their thinking up to their last event, and their silence since."""
        out: list[Span] = []
        for state in self._runs.values():
            if state.terminated:
                continue
            for calls in state.open_tools.values():
                for call in calls:
                    out.append(self._tool_span(state.key, call, end, None, unfinished=True))
            last_t = state.last.t
            if state.segment_start is not None and last_t > state.segment_start:
                out.append(self._thinking_span(state, state.segment_start, last_t))
            if end - last_t > self.config.stall_threshold_s:
                out.append(self._stall(state.key, state.last, end, None, unfinished=True))
        return out

    def _thinking_span(
        self,
        state: _RunState,
        start: float,
        end: float,
        closer: TimedEvent | None = None,
        *,
        unfinished: bool = False,
    ) -> Span:
        thoughts = "; ".join(state.thoughts)
        if not unfinished:
            state.thoughts = []
        indices = (closer.index,) if closer is not None else ()
        return Span(
            SpanKind.THINKING,
            start,
            end,
            state.key,
            "thinking",
            indices,
            None,
            thoughts,
            unfinished,
        )

    def _tool_span(
        self,
        key: RunKey,
        call: TimedEvent,
        end: float,
        closer: TimedEvent | None,
        *,
        unfinished: bool = False,
    ) -> Span:
        name = call.event.tool_name or "(unnamed tool)"
        indices = (call.index,) + ((closer.index,) if closer is not None else ())
        params = call.event.get("parameters")
        detail = f"parameters: {clip(params, 120)}" if params is not None else ""
        if closer is not None and closer.type == "tool_error":
            detail = (detail + "; " if detail else "") + "ended with tool_error"
        if unfinished:
            detail = (detail + "; " if detail else "") + "never completed"
        return Span(SpanKind.TOOL, call.t, end, key, name, indices, None, detail, unfinished)

    def _stall(
        self,
        key: RunKey,
        last: TimedEvent,
        end: float,
        closer: TimedEvent | None,
        *,
        unfinished: bool = False,
    ) -> Span:
        cause, why = attribute_stall(last.t, end, self._rtts, self.config)
        indices = (last.index,) + ((closer.index,) if closer is not None else ())
        label = f"stall {end - last.t:.1f} s ({cause})"
        return Span(SpanKind.STALL, last.t, end, key, label, indices, cause, why, unfinished)

    def _stall_between(self, key: RunKey, start: float, end: float, closer: TimedEvent) -> Span:
        cause, why = attribute_stall(start, end, self._rtts, self.config)
        label = f"stall {end - start:.1f} s before the first event ({cause})"
        return Span(SpanKind.STALL, start, end, key, label, (closer.index,), cause, why)
