"""What a fan-out's received frames say, judged: the event contract's error findings per rule
(the checks ``probe`` and ``trace`` apply), and whether isolation was exercised at all.

Pure apart from pandas: no sockets, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from netra_diag.events.contracts import ContractContext, Finding, check_run
from netra_diag.events.isolation import IsolationReport, IsolationVerdict
from netra_diag.events.model import AGENT_EVENTS
from netra_diag.live.fanout_rows import INTERRUPTED, NOT_ATTEMPTED, NOT_SENT, UserState
from netra_diag.live.records import RunOutcome

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["contract_errors", "cut_short", "exercised", "run_error_examples"]

# What the contract says of a run that stopped early, whatever stopped it: no terminal event, a
# tool still running, required event types never sent (said of the whole run, no event named).
# For a run the fan-out counts as closed (by its code: "closed 1006"), timed out or interrupted,
# these only repeat that, and would count one dropped connection as four errors.
_CUT_OUTCOMES = frozenset({str(RunOutcome.CLOSED), str(RunOutcome.TIMEOUT), INTERRUPTED})


def contract_errors(
    states: Sequence[UserState], isolation: IsolationReport
) -> tuple[dict[str, int], dict[str, str]]:
    """Error findings of ``check_run`` over each connected session's frames (the same checks
    ``probe`` and ``trace`` apply), counted by rule, with the first of each rule as
    ``"user: message"``. The events ``isolation`` found another user's are left out: they are
    contamination, reported there, and judged as runs of their own in the receiver's stream they
    would only add phantom findings (another user's run "never completed", its tools unmatched),
    though that run completed for its owner."""
    foreign: dict[str, set[int]] = {}
    for item in isolation.findings:
        # By the ids a run is grouped by; another user's text in an event of one's own run
        # leaves the event in that run.
        if item.field != "content":
            foreign.setdefault(item.receiver, set()).add(item.event_index)
    counts: dict[str, int] = {}
    examples: dict[str, str] = {}
    for st in states:
        if st.connected_s is None or not st.events:
            continue
        skip = foreign.get(st.user, set())
        own = [te for i, te in enumerate(st.events) if i not in skip] if skip else st.events
        # Only the marks no other line counts: closes are counted by code already.
        context = ContractContext(marks=st.establish_timeouts)
        cut = _cut_runs(st)
        for found in check_run(own, context=context).errors:
            if cut and cut_short(found, cut):
                continue
            rule = str(found.rule)
            counts[rule] = counts.get(rule, 0) + 1
            examples.setdefault(rule, f"{st.user}: {found.message}")
    return counts, examples


def _cut_runs(st: UserState) -> set[str]:
    """The run ids of this user's runs that a close, a timeout or the interrupt cut short (a run
    cut before its first event has no id, and no run the contract could judge either)."""
    return {
        str(row["run_id"])
        for row in st.run_rows
        if row.get("outcome") in _CUT_OUTCOMES and row.get("run_id")
    }


def cut_short(found: Finding, cut: set[str]) -> bool:
    """Whether ``found`` only says that one of the ``cut`` runs stopped early
    (``Finding.says_only_stopped``): the close, timeout or interrupt that cut it is counted
    already."""
    return found.run is not None and found.run.run_id in cut and found.says_only_stopped


def exercised(report: IsolationReport, states: Sequence[UserState]) -> IsolationReport:
    """``report``, unless it says "isolated" though no session received a single agent event
    (every run failed before the agent started: a zero timeout, refused requests): frames like
    ``connection_established`` carry nothing of another user's work, so isolation was not
    exercised and cannot be judged (PROTOCOL.md §7)."""
    if report.verdict is not IsolationVerdict.ISOLATED:
        return report
    if any(e.type in AGENT_EVENTS for st in states for e in st.events):
        return report
    why = "no agent events were received: isolation was not exercised"
    return replace(report, verdict=IsolationVerdict.CANNOT_JUDGE, reasons=(why, *report.reasons))


def run_error_examples(runs: pd.DataFrame, limit: int = 3) -> dict[str, str]:
    """The first error of each class among runs that were sent and did not complete (a close,
    a timeout, ``error``: an endpoint that runs no agent), as ``"user run N: text"``: the class
    alone ('error ×2') does not say what went wrong, the run's error text does."""
    if not len(runs):
        return {}
    stopped = [str(RunOutcome.COMPLETED), NOT_ATTEMPTED, "not_started", INTERRUPTED, NOT_SENT]
    sent = ~runs["outcome"].isin(stopped)
    out: dict[str, str] = {}
    for row in runs[sent & runs["error"].notna()].itertuples(index=False):
        key = str(row.error_class)
        if key not in out and len(out) < limit:
            out[key] = f"{row.user} run {row.run}: {row.error}"
    return out
