"""Runs the client itself stopped in flight (a ``run_interrupted`` mark: probe or fanout got
Ctrl-C or SIGTERM, a task was cancelled): their missing end is the client's doing, not the
service's (``netra_diag.events.contracts.check_run``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from netra_diag.events.rules.base import Finding, Rule, Severity
from netra_diag.events.runs import RunKey
from netra_diag.wording import plural

__all__ = ["client_cuts"]


def _cut_mark(key: RunKey, cuts: Sequence[Any]) -> Any:
    """The ``run_interrupted`` mark of run ``key``, if the client stopped it: the mark names the
    run by the ids it had bound (either may be unknown); every id both know must agree."""
    for mark in cuts:
        data = mark.data or {}
        pairs = [(data.get("thread_id"), key.thread_id), (data.get("run_id"), key.run_id)]
        known = [(a, b) for a, b in pairs if a is not None and b is not None]
        if known and all(str(a) == str(b) for a, b in known):
            return mark
    return None


def client_cuts(
    found: list[Finding], marks: Sequence[Any]
) -> tuple[list[Finding], tuple[RunKey, ...]]:
    """Findings of the runs the client itself stopped in flight (``run_interrupted``: probe or
    fanout got Ctrl-C or SIGTERM, a task was cancelled), and those runs.

    What only says that such a run stopped before its end (``Finding.says_only_stopped``: no
    terminal event, a tool left open) is the client's doing, not the service's: "never
    completed" becomes a warning that the client cut the run, the rest notes. A run that stopped
    without such a mark (the service stalled or closed) keeps its errors."""
    cuts = [m for m in marks if m.name == "run_interrupted"]
    if not cuts:
        return found, ()
    kept: list[Finding] = []
    interrupted: list[RunKey] = []
    for item in found:
        run, cut_by = item.run, None
        if run is not None and item.severity is Severity.ERROR and item.says_only_stopped:
            cut_by = _cut_mark(run, cuts)
        if cut_by is None or run is None:
            kept.append(item)
            continue
        if item.rule != Rule.NO_TERMINAL:
            kept.append(
                replace(
                    item,
                    severity=Severity.INFO,
                    message=f"{item.message} (the client stopped the run in flight)",
                )
            )
            continue
        n = (cut_by.data or {}).get("n_events")
        after = f" after {plural(n, 'frame')}" if isinstance(n, int) else ""
        interrupted.append(run)
        kept.append(
            replace(
                item,
                severity=Severity.WARNING,
                message=f"run {run} was stopped by the client in flight{after} (Ctrl-C, "
                "SIGTERM or a cancelled task), not left unfinished by the service: its end "
                "was not seen",
            )
        )
    return kept, tuple(interrupted)
