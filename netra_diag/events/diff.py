"""Aligned diff of two runs: a failing one against the last one that passed.

Each run becomes a sequence of tokens (the event type, plus the tool name for tool events, so that
``tool_executing:cost_analyzer`` only matches its own tool) and the two sequences are aligned with
:class:`difflib.SequenceMatcher`. Why not Needleman–Wunsch: runs are short (tens to hundreds of
events) and mostly identical, where the longest-matching-blocks alignment is the one an engineer
expects; it is in the standard library, yields missing/extra blocks directly as opcodes, and needs
no gap penalties to tune. ``autojunk`` is off because in long runs the repeated ``agent_thinking``
would otherwise count as junk and be left unaligned.

Per-phase durations (waiting, thinking, each tool, completion, stalls, total) come from each run's
timeline and are compared as ``failing - passing``. Pure: no I/O; pandas only in ``to_frame``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from netra_diag.errors import UsageError
from netra_diag.events.model import TimedEvent
from netra_diag.events.runs import Run, RunKey
from netra_diag.events.timeline import Mark, Timeline, TimelineConfig, build_timeline

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AlignedEvent", "DiffOp", "PhaseDelta", "RunDiff", "diff_runs", "event_token"]


class DiffOp(StrEnum):
    SAME = "same"  # in both runs
    MISSING = "missing"  # in the passing run, not in the failing one
    EXTRA = "extra"  # in the failing run only


@dataclass(frozen=True, slots=True)
class AlignedEvent:
    """One row of the alignment; times are seconds since the start of each run."""

    op: DiffOp
    token: str
    passing: TimedEvent | None
    failing: TimedEvent | None
    passing_t: float | None
    failing_t: float | None

    @property
    def shift(self) -> float | None:
        """How much later (seconds) the failing run reached this event than the passing one."""
        if self.passing_t is None or self.failing_t is None:
            return None
        return self.failing_t - self.passing_t


@dataclass(frozen=True, slots=True)
class PhaseDelta:
    phase: str
    passing_s: float | None
    failing_s: float | None

    @property
    def delta_s(self) -> float | None:
        """``failing - passing``; a phase one run lacks counts as 0 s (a tool it never called),
        except the wait, which is unknown, not 0, for a run recorded without its request."""
        if self.passing_s is None and self.failing_s is None:
            return None
        if self.phase == "waiting" and (self.passing_s is None or self.failing_s is None):
            return None
        return (self.failing_s or 0.0) - (self.passing_s or 0.0)


@dataclass(frozen=True)
class RunDiff:
    """The alignment of a failing run against a passing one, and their phase durations."""

    failing_run: RunKey
    passing_run: RunKey
    aligned: tuple[AlignedEvent, ...]
    phases: tuple[PhaseDelta, ...]
    failing_timeline: Timeline
    passing_timeline: Timeline

    @property
    def missing(self) -> tuple[AlignedEvent, ...]:
        return tuple(a for a in self.aligned if a.op is DiffOp.MISSING)

    @property
    def extra(self) -> tuple[AlignedEvent, ...]:
        return tuple(a for a in self.aligned if a.op is DiffOp.EXTRA)

    @property
    def identical(self) -> bool:
        return not self.missing and not self.extra

    @property
    def summary(self) -> str:
        """One line: what the failing run lacks, what it has in addition, its largest slow-down."""
        head = f"failing run {self.failing_run} vs passing run {self.passing_run}: "
        parts = []
        for name, items in (("missing", self.missing), ("extra", self.extra)):
            if items:
                shown = ", ".join(a.token for a in items[:4]) + (" …" if len(items) > 4 else "")
                parts.append(f"{len(items)} {name} ({shown})")
        if not parts:
            parts.append("same event sequence")
        deltas = [p for p in self.phases if p.phase != "total" and p.delta_s is not None]
        if deltas:
            worst = max(deltas, key=lambda p: abs(p.delta_s or 0.0))
            if abs(worst.delta_s or 0.0) >= 1e-3:
                parts.append(f"{worst.phase} {(worst.delta_s or 0.0) * 1e3:+.0f} ms")
        return head + "; ".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """The alignment: op, token, passing/failing index and time (ms since each run's start),
        and the shift (failing - passing, ms)."""
        import pandas as pd

        def ms(value: float | None) -> float | None:
            return None if value is None else value * 1e3

        rows = [
            {
                "op": str(a.op),
                "token": a.token,
                "passing_index": None if a.passing is None else a.passing.index,
                "failing_index": None if a.failing is None else a.failing.index,
                "passing_ms": ms(a.passing_t),
                "failing_ms": ms(a.failing_t),
                "shift_ms": ms(a.shift),
            }
            for a in self.aligned
        ]
        columns = ["op", "token", "passing_index", "failing_index", "passing_ms", "failing_ms"]
        return pd.DataFrame(rows, columns=[*columns, "shift_ms"])

    def phase_frame(self) -> pd.DataFrame:
        """Per-phase durations: phase, passing_ms, failing_ms, delta_ms (failing - passing)."""
        import pandas as pd

        rows = [
            {
                "phase": p.phase,
                "passing_ms": None if p.passing_s is None else p.passing_s * 1e3,
                "failing_ms": None if p.failing_s is None else p.failing_s * 1e3,
                "delta_ms": None if p.delta_s is None else p.delta_s * 1e3,
            }
            for p in self.phases
        ]
        return pd.DataFrame(rows, columns=["phase", "passing_ms", "failing_ms", "delta_ms"])


def event_token(te: TimedEvent) -> str:
    """What the alignment compares: the type, and the tool for tool events."""
    if te.type.startswith("tool_") and te.event.tool_name is not None:
        return f"{te.type}:{te.event.tool_name}"
    return te.type or "invalid"


RunInput = Sequence[TimedEvent] | Run


def _pick(
    side: str,
    source: RunInput,
    marks: Iterable[Mark],
    key: RunKey | None,
    config: TimelineConfig | None,
) -> tuple[Timeline, RunKey]:
    events = source.events if isinstance(source, Run) else tuple(source)
    if isinstance(source, Run) and key is None:
        key = source.key
    timeline = build_timeline(events, marks, config=config, label=side)
    if key is None:
        if len(timeline.runs) != 1:
            listed = ", ".join(str(k) for k in timeline.runs) or "none"
            raise UsageError(
                f"the {side} stream holds {len(timeline.runs)} runs ({listed}); "
                f"pass {side}_run= to choose one"
            )
        key = timeline.runs[0]
    elif key not in timeline.runs:
        listed = ", ".join(str(k) for k in timeline.runs) or "none"
        raise UsageError(f"run {key} is not in the {side} stream (runs: {listed})")
    return timeline, key


def _phases(passing: dict[str, float], failing: dict[str, float]) -> tuple[PhaseDelta, ...]:
    if ("waiting" in passing) != ("waiting" in failing):
        # One run's request was not recorded: its total starts at its first event, so the other's
        # does too, or the wait alone would read as the failing run being slower.
        for side in (passing, failing):
            if "waiting" in side and "total" in side:
                side["total"] -= side["waiting"]
    fixed_head = ["waiting", "thinking"]
    fixed_tail = ["completion", "stall", "total"]
    tools = [p for p in dict.fromkeys([*passing, *failing]) if p.startswith("tool:")]
    order = [*fixed_head, *tools, *fixed_tail]
    return tuple(
        PhaseDelta(name, passing.get(name), failing.get(name))
        for name in order
        if name in passing or name in failing
    )


def diff_runs(
    failing: RunInput,
    passing: RunInput,
    *,
    failing_run: RunKey | None = None,
    passing_run: RunKey | None = None,
    failing_marks: Iterable[Mark] = (),
    passing_marks: Iterable[Mark] = (),
    config: TimelineConfig | None = None,
) -> RunDiff:
    """Align a failing run with a passing one.

    Each side is a :class:`~netra_diag.events.runs.Run` or a stream of events; a stream holding more
    than one run needs ``failing_run=`` / ``passing_run=`` to say which (else
    :class:`~netra_diag.errors.UsageError`). Marks (``message_sent``, ...) add the waiting phase.
    """
    f_timeline, f_key = _pick("failing", failing, failing_marks, failing_run, config)
    p_timeline, p_key = _pick("passing", passing, passing_marks, passing_run, config)
    f_events = f_timeline.events_of(f_key)
    p_events = p_timeline.events_of(p_key)
    f_zero, p_zero = f_timeline.run_start(f_key), p_timeline.run_start(p_key)
    f_tokens = [event_token(te) for te in f_events]
    p_tokens = [event_token(te) for te in p_events]
    matcher = difflib.SequenceMatcher(None, p_tokens, f_tokens, autojunk=False)
    aligned: list[AlignedEvent] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for pi, fi in zip(range(i1, i2), range(j1, j2), strict=True):
                p, f = p_events[pi], f_events[fi]
                aligned.append(
                    AlignedEvent(DiffOp.SAME, p_tokens[pi], p, f, p.t - p_zero, f.t - f_zero)
                )
            continue
        for pi in range(i1, i2):  # delete / replace: the passing side's events are missing
            p = p_events[pi]
            aligned.append(AlignedEvent(DiffOp.MISSING, p_tokens[pi], p, None, p.t - p_zero, None))
        for fi in range(j1, j2):  # insert / replace: the failing side's events are extra
            f = f_events[fi]
            aligned.append(AlignedEvent(DiffOp.EXTRA, f_tokens[fi], None, f, None, f.t - f_zero))
    phases = _phases(p_timeline.phase_durations(p_key), f_timeline.phase_durations(f_key))
    return RunDiff(f_key, p_key, tuple(aligned), phases, f_timeline, p_timeline)
