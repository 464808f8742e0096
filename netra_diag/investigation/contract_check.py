"""The report's ``contracts`` check over every recorded session: which broke the event
contract, by rule, and which could not be judged at all.

Two kinds of session are left out of the count, each said in the detail: one that never asked
for an agent run (fan-out with runs 0, a connect-only cassette), which has no agent events
because none were due, and one that never connected, whose only finding is ``not_connected``:
the ``infrastructure`` check fails for it, and calling it a broken event contract would send
the reader to the event stream of a service that sent none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from netra_diag.events.contracts import ContractReport
from netra_diag.report.summary import Check, CheckKind
from netra_diag.wording import plural

__all__ = ["contract_check"]

# Outgoing frames that ask the agent for nothing (liveness and the handshake's answer).
_NOT_A_REQUEST = frozenset({"ping", "pong", "heartbeat", "heartbeat_ack", "handshake_acknowledged"})


def _asked_for_a_run(stream: Any) -> bool:
    """Whether a session sent anything that asks for an agent run (a message, a run mark)."""
    for mark in stream.marks:
        if mark.name in ("message_sent", "run_start"):
            return True
        if mark.name == "frame_out" and mark.data.get("type") not in _NOT_A_REQUEST:
            return True
    return False


def _never_connected(report: ContractReport) -> bool:
    return bool(report.errors) and all(str(f.rule) == "not_connected" for f in report.errors)


def contract_check(streams: Sequence[Any], contracts: Mapping[str, ContractReport]) -> Check:
    """The ``contracts`` check of ``contracts`` (reports by stream label) over ``streams``."""
    asked = {s.label for s in streams if _asked_for_a_run(s)}
    idle = [
        label for label, r in contracts.items() if not r.ok and not r.errors and label not in asked
    ]
    unreached = [label for label, r in contracts.items() if _never_connected(r)]
    left_out = {*idle, *unreached}
    failing = [r for label, r in contracts.items() if not r.ok and label not in left_out]
    judged = len(contracts) - len(left_out)
    notes = ""
    if idle:
        notes += f"; {plural(len(idle), 'session')} asked for no agent run"
    if unreached:
        notes += f"; {plural(len(unreached), 'session')} never connected (see infrastructure)"
    if not contracts:
        return Check("contracts", CheckKind.CONTRACT, False, "no recording to check")
    if not judged:
        if unreached:
            why = f"no session connected, so no event was checked{notes}"
        else:
            why = f"none of the {plural(len(idle), 'session')} asked for an agent run"
        return Check("contracts", CheckKind.CONTRACT, True, f"not verified: {why}", verified=False)
    if failing:
        # Sessions per broken rule (a session may break several), every rule named.
        rules = Counter(rule for r in failing for rule in {str(f.rule) for f in r.errors})
        shown = rules.most_common(4)
        parts = [f"{rule} in {n}" for rule, n in shown]
        if len(rules) > len(shown):
            parts.append(f"+{plural(len(rules) - len(shown), 'other rule')}")
        # Not ok without an error finding: no agent event, so nothing was checked (INCONCLUSIVE).
        empty = sum(not r.errors for r in failing)
        if empty:
            parts.append(f"no agent events in {empty}")
        detail = (
            f"{len(failing)} of {plural(judged, 'session')} broke the event contract "
            f"({', '.join(parts)}){notes}"
        )
        return Check("contracts", CheckKind.CONTRACT, False, detail)
    who = "the one session" if judged == 1 else f"all {judged} sessions"
    return Check("contracts", CheckKind.CONTRACT, True, f"{who} kept the event contract{notes}")
