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

from netra_diag.closecodes import service_meaning
from netra_diag.events.contracts import ContractReport
from netra_diag.investigation.cassette_checks import refusal as _refusal
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


# PROTOCOL.md §5: up to 30 s between consecutive events of a run; §8: the first frame after a
# message within 45 s. A client that stopped waiting sooner cannot say the run never finished.
MAX_EVENT_GAP_S = 30.0
MAX_FIRST_FRAME_S = 45.0


# The key of a cut-short run no event named (``cut_short_runs``), with when it was sent.
_NO_EVENT = "(no event) "


def cut_short_runs(stream: Any) -> dict[str, float]:
    """Runs of ``stream`` the client stopped waiting for sooner than the protocol lets the
    service take: run id -> seconds waited since the run's last event. A run stops so at its
    timeout (``run_end`` outcome ``timeout``), or when the client itself closed the session (or
    the recording just ends: Ctrl-C, a killed process) before the run's ``run_end``."""
    cut: dict[str, float] = {}
    sent: float | None = None  # the message of a run that has not ended yet

    def stop(at: float, run_id: Any) -> None:
        if not isinstance(run_id, str) or not run_id:
            # No event named the run: the service sent nothing for the request, the worst of
            # timeouts; counted under a name of its own (no finding can be its run's).
            if sent is not None and not pending_run(at) and at - sent < MAX_FIRST_FRAME_S:
                cut[f"{_NO_EVENT}{sent:.6f}"] = at - sent
            return
        times = [e.t for e in stream.events if e.event.run_id == run_id and e.t <= at]
        waited = at - max(times) if times else at - (sent or 0.0)
        if waited < (MAX_EVENT_GAP_S if times else MAX_FIRST_FRAME_S):
            cut[run_id] = waited

    def pending_run(until: float) -> Any:
        after = [e for e in stream.events if sent is not None and sent <= e.t <= until]
        return next((e.event.run_id for e in reversed(after) if e.event.run_id), None)

    for mark in stream.marks:
        if mark.name == "message_sent":
            sent = mark.t
        elif mark.name == "run_end":
            if mark.data.get("outcome") == "timeout":
                stop(mark.t, mark.data.get("run_id"))
            sent = None
        elif mark.name == "close" and sent is not None:
            if mark.data.get("initiated_by") == "client":
                stop(mark.t, pending_run(mark.t))
            sent = None
    if sent is not None and stream.end is not None:
        stop(stream.end, pending_run(stream.end))
    return cut


# Closes that say the service, or the way to it, went away (PROTOCOL.md §6): going away, no
# close frame, restart, try again later, bad gateway.
WENT_AWAY = frozenset({1001, 1006, 1012, 1013, 1014})


def dropped_runs(stream: Any) -> dict[str, int]:
    """Runs of ``stream`` that ended because the connection went away (``run_end`` outcome
    ``closed`` with one of ``WENT_AWAY``): run id -> close code."""
    dropped: dict[str, int] = {}
    for mark in stream.marks:
        data = mark.data
        if mark.name != "run_end" or data.get("outcome") != "closed":
            continue
        code, run_id = data.get("close_code"), data.get("run_id")
        if code in WENT_AWAY and isinstance(run_id, str) and run_id:
            dropped[run_id] = int(code)
    return dropped


def _explained_by_drop(finding: Any, dropped: Mapping[str, int]) -> bool:
    """Whether ``finding`` is what a run whose connection went away shows: the close itself
    (a session-level finding) or what any run cut off shows."""
    if not dropped:
        return False
    if str(finding.rule) == "connection_closed":
        return True
    return _explained_by_cut(finding, dropped)


def cut_short_words(cut_by_label: Mapping[str, Mapping[str, float]]) -> str:
    """The runs of ``cut_by_label`` (``cut_short_runs`` of each session, by label) in words:
    "5 runs in 3 sessions cut short by the client 4.0 s after their last event (…)"."""
    waits = sorted(w for cut in cut_by_label.values() for w in cut.values())
    silent = sum(1 for cut in cut_by_label.values() for key in cut if key.startswith(_NO_EVENT))
    low, high = f"{waits[0]:.1f}", f"{waits[-1]:.1f}"
    span = f"{low} s" if low == high else f"{low}–{high} s"
    if silent == len(waits):
        after = (
            "after its request (it got no event)"
            if silent == 1
            else "after their requests (they got no event)"
        )
    else:
        after = f"after {'its' if len(waits) == 1 else 'their'} last event"
        if silent:
            after += f" (or the request: {silent} got no event)"
    return (
        f"{plural(len(waits), 'run')} in {plural(len(cut_by_label), 'session')} cut short by "
        f"the client {span} {after} (the protocol allows {MAX_EVENT_GAP_S:g} s between events)"
    )


def _explained_by_cut(finding: Any, cut: Mapping[str, Any]) -> bool:
    """Whether ``finding`` is what any run the client cut short shows
    (``Finding.says_only_stopped``), or a request the client stopped waiting on before any event
    came, sooner than the protocol lets the first one take (``unanswered_request``)."""
    if str(finding.rule) == "unanswered_request":
        return any(key.startswith(_NO_EVENT) for key in cut)
    return getattr(finding.run, "run_id", None) in cut and finding.says_only_stopped


def contract_check(
    streams: Sequence[Any], contracts: Mapping[str, ContractReport]
) -> tuple[Check, ...]:
    """The ``contracts`` check of ``contracts`` (reports by stream label) over ``streams``, led
    by a failing ``stayed_connected`` check (infrastructure) when connections went away
    mid-run, and by a failing ``runs`` check (timeout) when the only broken contracts are runs
    the client stopped waiting for sooner than the protocol allows the service."""
    asked = {s.label for s in streams if _asked_for_a_run(s)}
    idle = [
        label for label, r in contracts.items() if not r.ok and not r.errors and label not in asked
    ]
    unreached = [label for label, r in contracts.items() if _never_connected(r)]
    # A session refused for its token got no event to check: its error frame and 1008 close are
    # the auth check's failure, not a broken event contract (counting both named it twice).
    refused = [
        s.label
        for s in streams
        if s.label in contracts
        and s.label not in unreached
        and contracts[s.label].n_agent_events == 0
        and _refusal(s)
    ]
    cut_by_label = {s.label: cut for s in streams if (cut := cut_short_runs(s))}
    dropped_by_label = {s.label: dropped for s in streams if (dropped := dropped_runs(s))}

    def explained(finding: Any, label: str) -> bool:
        return _explained_by_cut(finding, cut_by_label.get(label, {})) or _explained_by_drop(
            finding, dropped_by_label.get(label, {})
        )

    # Sessions whose every error is what a cut-short or dropped run shows: not counted broken.
    cut_only = [
        label
        for label, r in contracts.items()
        if r.errors and all(explained(f, label) for f in r.errors)
    ]
    left_out = {*idle, *unreached, *refused}
    # Each broken session by the rules it broke, less what its cut-short runs explain.
    failing = {
        label: {str(f.rule) for f in r.errors if not explained(f, label)}
        for label, r in contracts.items()
        if not r.ok and label not in left_out and label not in cut_only
    }
    judged = len(contracts) - len(left_out)
    notes = ""
    if idle:
        notes += f"; {plural(len(idle), 'session')} asked for no agent run"
    if unreached:
        notes += f"; {plural(len(unreached), 'session')} never connected (see infrastructure)"
    if refused:
        notes += f"; {plural(len(refused), 'session')} refused for the token (see auth)"
    lead: tuple[Check, ...] = ()
    # Every session with a finding its cut-short run explains, broken elsewhere or not, and
    # every one with a run that got no event at all (which leaves no finding to explain).
    touched = [
        label
        for label, r in contracts.items()
        if label in cut_by_label
        and (
            any(_explained_by_cut(f, cut_by_label[label]) for f in r.errors)
            or any(key.startswith(_NO_EVENT) for key in cut_by_label[label])
        )
    ]
    if touched:
        cut_text = (
            cut_short_words({label: cut_by_label[label] for label in touched})
            + ": not counted as broken"
        )
        notes += f"; {cut_text}"
        if not failing:
            lead = (Check("runs", CheckKind.TIMEOUT, False, cut_text),)
    if dropped_by_label:
        codes = Counter(c for dropped in dropped_by_label.values() for c in dropped.values())
        listed = ", ".join(f"{code} ×{n}" for code, n in sorted(codes.items()))
        drop_text = (
            f"{plural(codes.total(), 'run')} in {plural(len(dropped_by_label), 'session')} "
            f"lost the connection mid-run ({listed}: {service_meaning(min(codes))})"
        )
        # Said in full once, by the leading check: the headline joins every failing check's
        # detail, and the same sentence twice read as two separate failures.
        notes += (
            f"; {plural(codes.total(), 'run')} that lost the connection mid-run not counted as "
            "broken (see stayed_connected)"
        )
        # The service going away is a failure in itself, whatever else broke (exit 9).
        lead = (Check("stayed_connected", CheckKind.INFRASTRUCTURE, False, drop_text), *lead)
    if not contracts:
        return (Check("contracts", CheckKind.CONTRACT, False, "no recording to check"),)
    if cut_only and not failing and len(cut_only) == judged:
        # Every judged session's findings are what its cut-short runs show: nothing held.
        detail = f"not verified: no run was followed to its end{notes}"
        return (*lead, Check("contracts", CheckKind.CONTRACT, True, detail, verified=False))
    return (*lead, _verdict(contracts, failing, judged, idle, [*unreached, *refused], notes))


def _verdict(
    contracts: Mapping[str, ContractReport],
    failing: Mapping[str, set[str]],
    judged: int,
    idle: Sequence[str],
    unreached: Sequence[str],
    notes: str,
) -> Check:
    if not judged:
        if unreached:
            # (refused sessions are among them: they connected, but their token was refused)
            reached = "connected" if "refused for the token" not in notes else "got past auth"
            why = f"no session {reached}, so no event was checked{notes}"
        else:
            why = f"none of the {plural(len(idle), 'session')} asked for an agent run"
        return Check("contracts", CheckKind.CONTRACT, True, f"not verified: {why}", verified=False)
    if failing:
        # Sessions per broken rule (a session may break several), every rule named.
        rules = Counter(rule for broken in failing.values() for rule in broken)
        shown = rules.most_common(4)
        parts = [f"{rule} in {n}" for rule, n in shown]
        if len(rules) > len(shown):
            parts.append(f"+{plural(len(rules) - len(shown), 'other rule')}")
        # Not ok without an error finding: no agent event, so nothing was checked (INCONCLUSIVE).
        empty = sum(not contracts[label].errors for label in failing)
        if empty:
            parts.append(f"no agent events in {empty}")
        detail = (
            f"{len(failing)} of {plural(judged, 'session')} broke the event contract "
            f"({', '.join(parts)}){notes}"
        )
        return Check("contracts", CheckKind.CONTRACT, False, detail)
    who = "the one session" if judged == 1 else f"all {judged} sessions"
    return Check("contracts", CheckKind.CONTRACT, True, f"{who} kept the event contract{notes}")
