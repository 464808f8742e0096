"""What a contract check is and what it returns: rules, severities, findings, configuration.

A check is any callable ``(events, context) -> Iterable[Finding]`` (see :data:`Check`); the built-in
ones live beside this module and users add their own. Pure: no I/O, no clock.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from netra_diag.events.model import TERMINAL_EVENTS, TimedEvent
from netra_diag.events.runs import Run, RunKey, group_runs
from netra_diag.events.spans import MarkLike, as_mark
from netra_diag.redaction import scrub

__all__ = [
    "DEFAULT_RECOMMENDED_FIELDS",
    "DEFAULT_REQUIRED_FIELDS",
    "SYNTHETIC_USER_PREFIXES",
    "Check",
    "ContractConfig",
    "ContractContext",
    "FieldGroups",
    "Finding",
    "Rule",
    "RunCheck",
    "Severity",
    "at",
    "clip",
    "describe",
    "finding",
    "per_run",
]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Larger is worse: info 0, warning 1, error 2."""
        return _SEVERITY_RANK[self]

    @classmethod
    def coerce(cls, value: Severity | str) -> Severity:
        try:
            return cls(str(value).lower())
        except ValueError:
            choices = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {value!r}; expected one of {choices}") from None


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Rule(StrEnum):
    """Built-in rules, declared in the order a verdict prefers them as its headline."""

    NO_TERMINAL = "no_terminal"
    UNANSWERED_REQUEST = "unanswered_request"
    CONNECTION_CLOSED = "connection_closed"
    NOT_CONNECTED = "not_connected"
    HANDSHAKE_INCOMPLETE = "handshake_incomplete"
    FOREIGN_EVENT = "foreign_event"
    ERROR_FRAME = "error_frame"
    MISSING_EVENT = "missing_event"
    START_NOT_FIRST = "start_not_first"
    OUT_OF_ORDER = "out_of_order"
    ORPHAN_TOOL_COMPLETED = "orphan_tool_completed"
    UNFINISHED_TOOL = "unfinished_tool"
    EVENT_AFTER_TERMINAL = "event_after_terminal"
    DUPLICATE_EVENT = "duplicate_event"
    MISSING_FIELD = "missing_field"
    GAP_TOO_LONG = "gap_too_long"
    RUN_TOO_LONG = "run_too_long"
    SLOW_FIRST_EVENT = "slow_first_event"
    INVALID_FRAME = "invalid_frame"
    OVERSIZED_FRAME = "oversized_frame"
    CHECK_CRASHED = "check_crashed"
    NO_AGENT_EVENTS = "no_agent_events"
    HEARTBEAT_MISSING = "heartbeat_missing"
    ISOLATION_UNVERIFIED = "isolation_unverified"
    ALTERNATE_TERMINAL = "alternate_terminal"
    UNKNOWN_FRAME = "unknown_frame"

    @property
    def priority(self) -> int:
        """Position in declaration order; lower is more important."""
        return _RULE_ORDER[self]


_RULE_ORDER = {rule: i for i, rule in enumerate(Rule)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found: which rule, how bad, which events (arrival index and client time in
    seconds), which run, and one plain sentence saying what happened."""

    rule: Rule | str
    severity: Severity
    message: str
    run: RunKey | None = None
    indices: tuple[int, ...] = ()
    times: tuple[float, ...] = ()

    @property
    def t(self) -> float | None:
        """Client time of the first event involved, if any."""
        return self.times[0] if self.times else None

    @property
    def priority(self) -> int:
        return self.rule.priority if isinstance(self.rule, Rule) else len(_RULE_ORDER)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": str(self.rule),
            "severity": str(self.severity),
            "message": self.message,
            "run": None if self.run is None else str(self.run),
            "thread_id": None if self.run is None else self.run.thread_id,
            "run_id": None if self.run is None else self.run.run_id,
            "indices": list(self.indices),
            "times": list(self.times),
        }

    def __str__(self) -> str:
        return f"[{self.severity}] {self.rule}: {self.message}"

    @property
    def says_only_stopped(self) -> bool:
        """Whether this only says that its run stopped before its end: what any run cut off (a
        close, a timeout, the client's wait or interrupt) shows, whatever the service did before:
        no terminal event, a tool left open, an event due later never sent. A step missing
        between two events that did arrive (a ``missing_event`` naming them), or a missing
        ``agent_started`` (it comes first), was lost before any cut."""
        if self.rule in (Rule.NO_TERMINAL, Rule.UNFINISHED_TOOL):
            return True
        return (
            self.rule == Rule.MISSING_EVENT
            and not self.indices
            and "agent_started" not in self.message
        )


# Each entry is a group of alternatives: any one of them present (and not null) satisfies it.
FieldGroups = tuple[tuple[str, ...], ...]

# PROTOCOL.md §5, "Fields the mission-critical suite requires". ``type`` is implied by the event.
# tool_completed's duration arrives as ``duration`` (s), ``execution_time_ms`` or ``duration_ms``
# depending on the envelope variant; all three are the same field once normalised.
DEFAULT_REQUIRED_FIELDS: Mapping[str, FieldGroups] = MappingProxyType(
    {
        "agent_started": (("user_id",), ("thread_id",), ("timestamp",)),
        "agent_thinking": (
            ("reasoning", "thought", "step_number", "progress_percentage"),
            ("timestamp",),
        ),
        "tool_executing": (("tool_name",), ("parameters",), ("timestamp",)),
        "tool_completed": (
            ("tool_name",),
            ("results",),
            ("duration", "execution_time_ms", "duration_ms"),
            ("timestamp",),
        ),
        "agent_completed": (("status",), ("final_response",), ("timestamp",)),
    }
)
# "schema also wants run_id, agent_name" (PROTOCOL.md §5): reported as notes, not errors.
DEFAULT_RECOMMENDED_FIELDS: Mapping[str, FieldGroups] = MappingProxyType(
    {"agent_started": (("run_id",), ("agent_name",))}
)
# User ids the permissive auth modes hand out instead of the token's sub (PROTOCOL.md §2).
SYNTHETIC_USER_PREFIXES: tuple[str, ...] = ("demo-user-", "relaxed_", "emergency_")


@dataclass(frozen=True)
class ContractConfig:
    """Limits and expectations of the built-in checks (defaults: PROTOCOL.md §5 and §6)."""

    max_gap_s: float = 30.0  # between consecutive events of one run
    max_run_s: float = 300.0  # first to last event of one run
    # From the request to the run's first event: the staging suite allows 45 s (PROTOCOL.md §8).
    max_first_event_s: float = 45.0
    # /ws/config says 30 s; the server heartbeats after its idle timeout (35 s + buffer on
    # staging), so allow a grace before calling a silence a missing heartbeat.
    heartbeat_interval_s: float = 30.0
    heartbeat_grace_s: float = 15.0
    required_events: tuple[str, ...] = (
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
    )
    # §5: "(tool_executing → tool_completed)*": a run that used no tools is complete without
    # them (the tool-pair rules catch one without the other). Only when no run of a stream used
    # a tool is that said, as a note: the stream did not exercise them.
    optional_events: tuple[str, ...] = ("tool_executing", "tool_completed")
    accepted_terminals: frozenset[str] = TERMINAL_EVENTS
    required_fields: Mapping[str, FieldGroups] = field(
        default_factory=lambda: DEFAULT_REQUIRED_FIELDS
    )
    recommended_fields: Mapping[str, FieldGroups] = field(
        default_factory=lambda: DEFAULT_RECOMMENDED_FIELDS
    )
    synthetic_user_prefixes: tuple[str, ...] = SYNTHETIC_USER_PREFIXES
    # Server timestamps may be rounded to the millisecond (ISO strings): only a step back larger
    # than this counts as evidence that events were emitted in another order.
    clock_tolerance_s: float = 0.005
    # Close codes that end a session on purpose (RFC 6455 §7.4.1); any other close is a finding.
    normal_close_codes: frozenset[int] = frozenset({1000})
    max_message_size: int = 1 << 20  # bytes; /ws/config (PROTOCOL.md §1), close 1009 beyond it


@dataclass(frozen=True)
class ContractContext:
    """What a check may know besides the events: the configuration, whom the session belongs to
    (``expected_user``: the token's ``sub``; ``expected_threads``: the threads it created), when
    the stream ended on the client clock (``session_end``, seconds) if known, and the client's
    lifecycle marks (``close``, ``ping_rtt``, ...) if recorded."""

    config: ContractConfig = field(default_factory=ContractConfig)
    expected_user: str | None = None
    expected_threads: frozenset[str] = frozenset()
    session_end: float | None = None
    marks: Sequence[MarkLike] = ()
    # Bytes each frame had on the wire, by event index, when the text was not kept whole (a
    # cassette stores only the head of a huge frame); otherwise the text's length is used.
    frame_sizes: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        threads: Any = self.expected_threads
        if isinstance(threads, str):
            threads = (threads,)
        object.__setattr__(self, "expected_threads", frozenset(str(t) for t in threads))
        object.__setattr__(self, "marks", tuple(as_mark(m) for m in self.marks))


Check = Callable[[Sequence[TimedEvent], ContractContext], Iterable[Finding]]
RunCheck = Callable[[Run, ContractContext], Iterable[Finding]]


def per_run(check: RunCheck) -> Check:
    """Turn a check of one run into a :data:`Check` over a whole stream."""

    @functools.wraps(check)
    def over_stream(events: Sequence[TimedEvent], context: ContractContext) -> Iterable[Finding]:
        for run in group_runs(events):
            yield from check(run, context)

    return over_stream


def at(t: float) -> str:
    """Client time as shown in every sentence: ``+1.84 s``."""
    if not math.isfinite(t):
        return f"+{t} s"
    return f"+{t:.2f} s" if t >= 0 else f"{t:.2f} s"


def clip(value: Any, limit: int = 120) -> str:
    """A short, scrubbed rendering of a field value for a sentence."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = repr(value)
    # Scrub before cutting: a cut token would no longer look like one.
    text = " ".join(scrub(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(te: TimedEvent) -> str:
    """``tool_completed for cost_analyzer at +1.84 s``; invalid frames by their index."""
    name = te.type or f"invalid frame #{te.index}"
    tool = te.event.tool_name
    if tool is not None and te.type.startswith("tool_"):
        name += f" for {clip(tool, 60)}"
    return f"{name} at {at(te.t)}"


def finding(
    rule: Rule | str,
    severity: Severity,
    message: str,
    run: RunKey | None = None,
    events: Iterable[TimedEvent] = (),
) -> Finding:
    evs = tuple(events)
    return Finding(
        rule,
        severity,
        message,
        run,
        tuple(te.index for te in evs),
        tuple(te.t for te in evs),
    )
