"""Check an event stream against the service's event contract (PROTOCOL.md §5–§7).

``check_run(events)`` runs every check in ``DEFAULT_CHECKS`` over the stream (each run inside it
is keyed by ``thread_id`` and ``run_id``) and returns a :class:`ContractReport`: a one-line verdict
that says what is wrong first, the findings, ``.to_frame()`` for pandas, and raising only when asked
(``report.raise_for_findings()``, as httpx's ``Response.raise_for_status``).

A check is a plain callable, so adding one is adding a function::

    def no_slow_tools(events, context):
        for te in events:
            if te.type == "tool_completed" and (te.event.duration_s or 0) > 5:
                yield Finding("slow_tool", Severity.WARNING, f"{te.event.tool_name} took > 5 s")

    report = check_run(events, checks=DEFAULT_CHECKS + (no_slow_tools,))

Pure: no I/O, no clock. pandas is imported only by ``to_frame``.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from netra_diag.errors import ContractViolation
from netra_diag.events.attempts import abandoned_attempt_windows, in_windows
from netra_diag.events.client_cuts import client_cuts
from netra_diag.events.model import EventKind, TimedEvent
from netra_diag.events.rules.base import (
    Check,
    ContractConfig,
    ContractContext,
    Finding,
    Rule,
    RunCheck,
    Severity,
    finding,
    per_run,
)
from netra_diag.events.rules.fields import check_required_fields
from netra_diag.events.rules.order import (
    check_critical_events,
    check_duplicates,
    check_optional_events,
    check_start_first,
    check_terminal,
)
from netra_diag.events.rules.sequence import check_sequence
from netra_diag.events.rules.session import (
    check_close,
    check_connected,
    check_error_frames,
    check_frame_size,
    check_frames,
    check_handshake,
    check_isolation,
    check_observed,
)
from netra_diag.events.rules.timing import (
    check_first_event,
    check_heartbeats,
    check_requests_answered,
    check_timing,
)
from netra_diag.events.rules.tools import check_tool_pairs
from netra_diag.events.runs import RunKey, group_runs
from netra_diag.events.timeline import Mark
from netra_diag.wording import plural

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CHECKS",
    "Check",
    "ContractConfig",
    "ContractContext",
    "ContractReport",
    "Finding",
    "Mark",
    "Rule",
    "RunCheck",
    "Severity",
    "check_close",
    "check_connected",
    "check_critical_events",
    "check_duplicates",
    "check_error_frames",
    "check_first_event",
    "check_frame_size",
    "check_frames",
    "check_handshake",
    "check_heartbeats",
    "check_isolation",
    "check_observed",
    "check_optional_events",
    "check_requests_answered",
    "check_required_fields",
    "check_run",
    "check_sequence",
    "check_start_first",
    "check_terminal",
    "check_timing",
    "check_tool_pairs",
    "per_run",
]

DEFAULT_CHECKS: tuple[Check, ...] = (
    check_observed,
    check_frames,
    check_frame_size,
    check_error_frames,
    check_critical_events,
    check_optional_events,
    check_start_first,
    check_terminal,
    check_sequence,
    check_tool_pairs,
    check_required_fields,
    check_duplicates,
    check_timing,
    check_first_event,
    check_requests_answered,
    check_isolation,
    check_heartbeats,
    check_handshake,
    check_connected,
    check_close,
)

_FRAME_COLUMNS = [
    "rule",
    "severity",
    "run",
    "thread_id",
    "run_id",
    "t",
    "indices",
    "times",
    "message",
]


@dataclass(frozen=True)
class ContractReport:
    """The findings of :func:`check_run` over one stream, worst first."""

    findings: tuple[Finding, ...]
    runs: tuple[RunKey, ...]
    n_events: int
    n_agent_events: int
    # Runs the client itself stopped in flight (a ``run_interrupted`` mark: probe or fanout
    # stopped by Ctrl-C or SIGTERM): their missing end is a warning, not the service's failure.
    interrupted: tuple[RunKey, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no finding is an error and at least one agent event was observed: a stream
        with nothing in it is not a pass (PROTOCOL.md §9, vacuous passes). The contract may hold
        over a session whose auth was bypassed, which then proves nothing: ``auth_bypassed``, and
        the verdict says "NOT PROVEN"."""
        return self.n_agent_events > 0 and not self.errors

    @property
    def auth_bypassed(self) -> bool:
        """Whether the stream shows that its auth was bypassed: the server handed out a synthetic
        user id (DEMO/RELAXED auth, PROTOCOL.md §2), so the token was never validated and a
        contract that held proves nothing about the session it was meant for (§9)."""
        return any(f.rule == Rule.ISOLATION_UNVERIFIED for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def foreign_runs(self) -> frozenset[RunKey]:
        """Runs seen only through events that carried another user's ids (``foreign_event``):
        another session's runs, leaked into this one. Their events are contamination, not work of
        this session's, so nothing of them is expected to finish here."""
        leaked = {f.run for f in self.findings if f.rule is Rule.FOREIGN_EVENT and f.run}
        return frozenset(key for key in leaked if key is not None) - set(self.runs)

    def counts(self) -> dict[str, int]:
        counter = Counter(str(f.severity) for f in self.findings)
        return {str(s): counter.get(str(s), 0) for s in Severity}

    @property
    def verdict(self) -> str:
        """One honest line: the status, then the most important finding, then how many more.

        ``FAIL`` when any finding is an error; ``INCONCLUSIVE`` when no agent event was observed
        (nothing was really checked) or when every run was stopped in flight by the client;
        ``NOT PROVEN`` when the auth was bypassed (a synthetic user id: the token was never
        validated, PROTOCOL.md §2 and §9, vacuous passes), said first whatever else was found
        short of an error; ``PASS with caveats`` when there are warnings; else ``PASS``.
        """
        counts = self.counts()
        scope = self._scope()
        if not self.findings:
            if self.n_agent_events == 0:
                return f"INCONCLUSIVE: no agent events observed in {scope}; nothing was checked"
            return f"PASS: {scope}; every contract held"
        headline = self.findings[0]
        prefix = ""
        if headline.severity is Severity.ERROR:
            status = "FAIL"
        elif self.n_agent_events == 0:
            status = "INCONCLUSIVE"
        elif self.auth_bypassed:
            # (it read "PASS with caveats" and a run that proved nothing was called a pass)
            status = "NOT PROVEN"
            prefix = "auth was bypassed, so the run proves nothing: "
            headline = next(f for f in self.findings if f.rule == Rule.ISOLATION_UNVERIFIED)
        elif self.interrupted and set(self.runs) <= set(self.interrupted):
            # No run reached its end: what arrived held the contract, but no run was seen whole.
            status = "INCONCLUSIVE"
            headline = next(f for f in self.findings if f.run in self.interrupted)
        elif counts["warning"]:
            status = "PASS with caveats"
        else:
            # Only notes: the contract held; say so and how many notes there are.
            return f"PASS: {scope}; every contract held ({plural(len(self.findings), 'note')})"
        line = f"{status}: {prefix}{headline.message}"
        others = len(self.findings) - 1
        if others:
            parts = []
            for severity in Severity:
                n = counts[str(severity)] - (1 if severity is headline.severity else 0)
                if n:
                    parts.append(f"{n} {severity}")
            line += f"; {plural(others, 'other finding')} ({', '.join(parts)})"
        return line

    def _scope(self) -> str:
        """ "1 run, 7 events", or when frames other than agent events were checked too (a
        ``connection_established``, heartbeats) "1 run, 8 agent events in 9 frames": the agent
        events alone are what ``probe`` and the run tables count, and the two must agree."""
        runs = plural(len(self.runs), "run")
        if self.n_agent_events == self.n_events:
            return f"{runs}, {plural(self.n_events, 'event')}"
        agent = plural(self.n_agent_events, "agent event")
        return f"{runs}, {agent} in {plural(self.n_events, 'frame')}"

    def __str__(self) -> str:
        return self.verdict

    def at_least(self, min_severity: Severity | str) -> tuple[Finding, ...]:
        floor = Severity.coerce(min_severity).rank
        return tuple(f for f in self.findings if f.severity.rank >= floor)

    def raise_for_findings(self, min_severity: Severity | str = Severity.ERROR) -> ContractReport:
        """Raise :class:`~netra_diag.errors.ContractViolation` if any finding is at least
        ``min_severity`` (``"error"``, ``"warning"`` or ``"info"``); otherwise return ``self``."""
        selected = self.at_least(min_severity)
        if selected:
            raise ContractViolation(selected, self.verdict)
        return self

    def by_rule(self, rule: Rule | str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if str(f.rule) == str(rule))

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "ok": self.ok,
            "runs": [str(key) for key in self.runs],
            "n_events": self.n_events,
            "n_agent_events": self.n_agent_events,
            "counts": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: rule, severity, run, thread_id, run_id, t (first event, seconds),
        indices, times, message."""
        import pandas as pd

        rows = []
        for f in self.findings:
            row = f.to_dict()
            row["t"] = f.t
            row["indices"] = tuple(f.indices)
            row["times"] = tuple(f.times)
            rows.append(row)
        return pd.DataFrame(rows, columns=_FRAME_COLUMNS)


def _order(f: Finding) -> tuple[int, int, float, int]:
    t = f.t if f.t is not None and f.t == f.t else float("inf")
    return (-f.severity.rank, f.priority, t, f.indices[0] if f.indices else -1)


def _name(check: Check) -> str:
    return str(getattr(check, "__qualname__", None) or getattr(check, "__name__", repr(check)))


def check_run(
    events: Iterable[TimedEvent],
    *,
    context: ContractContext | None = None,
    checks: Sequence[Check] = DEFAULT_CHECKS,
) -> ContractReport:
    """Run ``checks`` over a stream of events (one session or recording, any number of runs).

    A check that raises does not hide the others: its exception becomes a ``check_crashed`` error
    finding naming the check, so a broken custom check is visible without losing the report.
    """
    stream = tuple(events)
    ctx = context if context is not None else ContractContext()
    # The transports ``auto`` tried and did not keep are its search, not the session: a refusal
    # before the attempt that got in is no finding (``events.attempts``).
    windows = abandoned_attempt_windows(ctx.marks)
    if windows:
        stream = tuple(te for te in stream if not in_windows(te.t, windows))
        kept_marks = tuple(
            m for m in ctx.marks if not (m.name == "close" and in_windows(m.t, windows))
        )
        ctx = replace(ctx, marks=kept_marks)
    # Events another user's (``check_isolation``'s foreign_event) are contamination, reported as
    # such; the other checks judge this session's own runs without them, or another user's run,
    # seen through the few events leaked of it, would "never complete" here.
    foreign: set[int] = set()
    if check_isolation in checks:
        with contextlib.suppress(Exception):  # a crash is reported when the check runs below
            foreign = {
                i
                for f in check_isolation(stream, ctx)
                if f.rule is Rule.FOREIGN_EVENT
                for i in f.indices
            }
    own = tuple(te for te in stream if te.index not in foreign) if foreign else stream
    found: list[Finding] = []
    for check in checks:
        try:
            found.extend(check(stream if check is check_isolation else own, ctx))
        except Exception as exc:  # a user's check must not sink the report; it is reported instead
            found.append(
                finding(
                    Rule.CHECK_CRASHED,
                    Severity.ERROR,
                    f"check {_name(check)} crashed: {type(exc).__name__}: {exc}",
                )
            )
    found, interrupted = client_cuts(found, ctx.marks)
    found.sort(key=_order)
    runs = tuple(run.key for run in group_runs(own))
    n_agent = sum(1 for te in own if te.event.kind is EventKind.AGENT)
    return ContractReport(tuple(found), runs, len(stream), n_agent, interrupted)
