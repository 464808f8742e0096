"""What a timeline is made of: lifecycle marks, spans and their kinds, stall attribution, and the
:class:`Timeline` result itself.

Pure: no I/O, no clock; pandas only in ``Timeline.to_frame``. :mod:`netra_diag.events.timeline`
builds spans from events and marks.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from netra_diag.events.model import TERMINAL_EVENTS, TimedEvent
from netra_diag.events.runs import RunKey
from netra_diag.wording import plural

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MISSING_TERMINAL",
    "Mark",
    "MarkLike",
    "Span",
    "SpanKind",
    "StallCause",
    "Timeline",
    "TimelineConfig",
    "as_mark",
    "attribute_stall",
    "rtt_of",
]


class SpanKind(StrEnum):
    CONNECT = "connect"
    AUTH = "auth"
    WAITING = "waiting"
    THINKING = "thinking"
    TOOL = "tool"
    COMPLETION = "completion"
    GAP = "gap"
    STALL = "stall"


class StallCause(StrEnum):
    SERVER = "server"  # pings answered on time: the connection was fine, the server said nothing
    NETWORK = "network"  # pings late or lost: frames were held up on the way
    UNKNOWN = "unknown"  # no ping samples during the stall


@dataclass(frozen=True, slots=True)
class Mark:
    """A lifecycle mark on the client clock (docs/cassette-format.md): ``connect_start``,
    ``upgrade_done``, ``message_sent``, ``ping_rtt`` (data ``rtt_ms``), ``close``, ... Outgoing
    frames read from a cassette appear as ``frame_out`` marks with the frame's ``type`` in
    ``data``."""

    name: str
    t: float
    data: Mapping[str, Any] = field(default_factory=dict)
    wall: float | None = None


class MarkLike(Protocol):
    """Anything with a mark's name, time and data, e.g. ``netra_diag.live.Mark`` from a session."""

    @property
    def name(self) -> str: ...

    @property
    def t(self) -> float: ...

    @property
    def data(self) -> Mapping[str, Any]: ...


def as_mark(mark: MarkLike) -> Mark:
    """A :class:`Mark` from any mark-like object (a live session's marks, say)."""
    if isinstance(mark, Mark):
        return mark
    data = mark.data if isinstance(mark.data, Mapping) else {}
    wall = getattr(mark, "wall", None)
    return Mark(
        str(mark.name), float(mark.t), dict(data), wall if isinstance(wall, float) else None
    )


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time ``[start, end]`` (seconds) and what was happening in it."""

    kind: SpanKind
    start: float
    end: float
    run: RunKey | None
    label: str
    indices: tuple[int, ...] = ()  # the events that opened and closed it
    cause: StallCause | None = None  # stalls only
    detail: str = ""  # one sentence: why a stall was attributed as it was, a tool's parameters, ...
    unfinished: bool = False  # still open when the stream ended

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class TimelineConfig:
    """Thresholds for silences and for calling a ping late."""

    gap_threshold_s: float = 5.0  # no frame at all for longer than this is a gap
    stall_threshold_s: float = 5.0  # an open run silent for longer than this is stalled
    ping_late_ms: float = 500.0  # a ping slower than this is late, whatever the usual RTT ...
    ping_late_factor: float = 3.0  # ... or slower than this multiple of the median RTT


def attribute_stall(
    start: float,
    end: float,
    samples: Sequence[tuple[float, float | None]],
    config: TimelineConfig,
) -> tuple[StallCause, str]:
    """Attribute a stall from ping round trips (``(t, rtt_ms)``, ``None`` for a lost ping).

    A ping answered on time during the stall proves the path to the server worked while the run was
    silent, so the server was the one holding back; late or lost pings point at the network.
    """
    during = [(t, rtt) for t, rtt in samples if start <= t <= end]
    if not during:
        return StallCause.UNKNOWN, "no ping round trips were measured during the stall"
    usual_pool = [rtt for t, rtt in samples if rtt is not None and not start <= t <= end]
    usual_pool = usual_pool or [rtt for _, rtt in during if rtt is not None]
    usual = statistics.median(usual_pool) if usual_pool else 0.0
    limit = max(config.ping_late_ms, config.ping_late_factor * usual)
    lost = sum(1 for _, rtt in during if rtt is None)
    late = [rtt for _, rtt in during if rtt is not None and rtt > limit]
    if lost or late:
        worst = f"worst {max(late):.0f} ms" if late else "no answer"
        lost_text = f", {lost} lost" if lost else ""
        return (
            StallCause.NETWORK,
            f"{len(late)} of {len(during)} pings late ({worst}; usual {usual:.0f} ms, limit "
            f"{limit:.0f} ms){lost_text}: frames were held up on the way",
        )
    answered = [rtt for _, rtt in during if rtt is not None]
    return (
        StallCause.SERVER,
        f"{plural(len(answered), 'ping')} answered in at most {max(answered):.0f} ms during the "
        "stall: "
        "the connection was fine, the server sent nothing",
    )


def rtt_of(mark: Mark) -> tuple[float, float | None]:
    """``(t, rtt_ms)`` of a ``ping_rtt`` mark; ``rtt_ms`` None when missing (a lost ping)."""
    value = mark.data.get("rtt_ms") if isinstance(mark.data, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return mark.t, None
    return mark.t, float(value)


# A run still silent when the stream ended, with no terminal event: what the contract's
# no_terminal rule reports ("never completed (no agent_completed; ...)"). Its silence shows that
# the terminal event never came, which a dropped agent_completed and a server that stopped
# mid-run both leave; calling it a stall would name a cause the recording does not show.
MISSING_TERMINAL = "no agent_completed"


@dataclass(frozen=True)
class Timeline:
    """Spans over one session or recording, with the events and marks they came from."""

    events: tuple[TimedEvent, ...]
    event_runs: tuple[RunKey | None, ...]  # aligned with ``events``
    marks: tuple[Mark, ...]
    spans: tuple[Span, ...]
    runs: tuple[RunKey, ...]  # in order of each run's first event
    label: str = ""
    end: float = 0.0

    @cached_property
    def _spans_by_run(self) -> dict[RunKey | None, tuple[Span, ...]]:
        grouped: dict[RunKey | None, list[Span]] = {}
        for span in self.spans:
            grouped.setdefault(span.run, []).append(span)
        return {key: tuple(spans) for key, spans in grouped.items()}

    @cached_property
    def _events_by_run(self) -> dict[RunKey | None, tuple[TimedEvent, ...]]:
        grouped: dict[RunKey | None, list[TimedEvent]] = {}
        for te, key in zip(self.events, self.event_runs, strict=True):
            grouped.setdefault(key, []).append(te)
        return {key: tuple(events) for key, events in grouped.items()}

    @cached_property
    def unterminated(self) -> frozenset[RunKey]:
        """The runs that sent no terminal event (what the contract's no_terminal rule reports)."""
        ended = {
            run
            for te, run in zip(self.events, self.event_runs, strict=True)
            if run is not None and te.type in TERMINAL_EVENTS
        }
        return frozenset(self.runs) - ended

    def is_missing_terminal(self, span: Span) -> bool:
        """Whether ``span`` is the silence of a run that never completed, still open at the end
        of the stream: a missing terminal event (:data:`MISSING_TERMINAL`), not a stall."""
        return (
            span.kind is SpanKind.STALL
            and span.unfinished
            and span.run is not None
            and span.run in self.unterminated
        )

    def spans_of(self, run: RunKey | None) -> tuple[Span, ...]:
        """The spans of one run (``None``: the session's own spans: connect, auth, gaps)."""
        return self._spans_by_run.get(run, ())

    def events_of(self, run: RunKey | None) -> tuple[TimedEvent, ...]:
        """The events of one run (``None``: frames outside any run)."""
        return self._events_by_run.get(run, ())

    def run_start(self, run: RunKey) -> float:
        """When the run began for its user: the start of its wait if known, else its first event."""
        starts = [s.start for s in self.spans_of(run) if s.kind is SpanKind.WAITING]
        starts += [te.t for te in self.events_of(run)[:1]]
        finite = [t for t in starts if math.isfinite(t)]
        return min(finite) if finite else 0.0

    @property
    def rtt_samples(self) -> tuple[tuple[float, float | None], ...]:
        return tuple(rtt_of(m) for m in self.marks if m.name == "ping_rtt")

    def phase_durations(self, run: RunKey) -> dict[str, float]:
        """Seconds per phase of one run: ``waiting``, ``thinking``, ``tool:<name>`` (summed over
        calls), ``completion``, ``stall``, and ``total`` (run start to its last span or event)."""
        out: dict[str, float] = {}
        ends = []
        for span in self.spans_of(run):
            name = f"tool:{span.label}" if span.kind is SpanKind.TOOL else str(span.kind)
            out[name] = out.get(name, 0.0) + span.duration
            ends.append(span.end)
        ends += [te.t for te in self.events_of(run)]
        finite = [t for t in ends if math.isfinite(t)]
        out["total"] = (max(finite) - self.run_start(run)) if finite else 0.0
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per span: run, kind, label, start_ms, end_ms, duration_ms, cause, unfinished,
        indices, detail."""
        import pandas as pd

        rows = [
            {
                "run": None if s.run is None else str(s.run),
                "kind": str(s.kind),
                "label": s.label,
                "start_ms": s.start * 1e3,
                "end_ms": s.end * 1e3,
                "duration_ms": s.duration * 1e3,
                "cause": None if s.cause is None else str(s.cause),
                "unfinished": s.unfinished,
                "indices": s.indices,
                "detail": s.detail,
            }
            for s in self.spans
        ]
        columns = ["run", "kind", "label", "start_ms", "end_ms", "duration_ms", "cause"]
        return pd.DataFrame(rows, columns=[*columns, "unfinished", "indices", "detail"])
