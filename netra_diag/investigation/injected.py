"""What the service injected against what the diagnosis saw, fault by fault (no I/O).

A fault counts as diagnosed only by evidence of its own kind where it struck: a contract finding
of a rule that fault breaks, in its run (a duplicate found in a run does not diagnose a drop in
it), or in its user's session for a frame no run can own; for a stall, which breaks no contract,
the silence it left. A fault whose effect the recording
cannot show is not counted as injected-and-missed: it is listed apart, with the reason, because
no client-side diagnosis could ever see it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["INJECTED_COLUMNS", "UNOBSERVABLE_WHY", "injected_frame", "unobservable_reason"]

INJECTED_COLUMNS = (
    "fault",
    "run_id",
    "thread_id",
    "user_id",
    "event_type",
    "detail",
    "observable",
    "detected",
    "detected_by",
)

# The contract rules that show each run-level fault (events.rules.base.Rule values).
_EVIDENCE: Mapping[str, frozenset[str]] = {
    "duplicate_event": frozenset({"duplicate_event"}),
    # Two neighbours swapped: which rule sees it depends on which two they were. A
    # tool_completed swapped before its tool_executing is out_of_order: orphaned and
    # unfinished tool calls are what a lost tool frame leaves (drop_event's evidence, not this).
    "reorder": frozenset({"out_of_order", "start_not_first", "event_after_terminal"}),
    # A stall longer than the client waits leaves a run that never completed.
    "stall": frozenset({"gap_too_long", "slow_first_event", "run_too_long", "no_terminal"}),
    "disconnect_mid_run": frozenset({"connection_closed", "no_terminal"}),
    "malformed_frame": frozenset({"invalid_frame"}),
    "unknown_event_type": frozenset({"unknown_frame"}),
    "oversized_frame": frozenset({"oversized_frame", "connection_closed"}),
    "leak_other_user": frozenset({"foreign_event"}),
}
# Faults that hit a frame no run can own (it is no event, or too big to read): their finding
# carries no run id and is looked for in the session of the user they hit.
_OUTSIDE_RUNS = frozenset({"malformed_frame", "unknown_event_type", "oversized_frame"})
# A dropped event is seen through what its absence breaks, which depends on the event.
_DROP_EVIDENCE: Mapping[str, frozenset[str]] = {
    "agent_started": frozenset({"missing_event", "start_not_first"}),
    "agent_thinking": frozenset({"missing_event"}),
    "tool_executing": frozenset({"orphan_tool_completed"}),
    "tool_completed": frozenset({"unfinished_tool"}),
    "agent_completed": frozenset({"no_terminal"}),
}
_ANY_DROP = frozenset().union(*_DROP_EVIDENCE.values())

# What a reader is told about each kind of fault the recording cannot show (the summary's
# ``injected_unobservable`` keys).
_SWAP_WITH_A_DROP = (
    "two events swapped in a run that also lost one of them, or the event their order is "
    "judged against (a dropped event or connection): only the loss shows, and it is diagnosed "
    "as that fault"
)
# PROTOCOL.md §5 orders tool events only by "every tool_completed follows an unmatched
# tool_executing of the same tool": calls may overlap. A tool_executing moved before the
# previous call's tool_completed leaves two overlapping calls, each completion after its own
# start; the frames' timestamps and sequence numbers are stamped as they are sent, so they are
# in order too.
_OVERLAPPING_CALLS = (
    "a tool_executing sent before the previous tool call's tool_completed: the protocol lets "
    "tool calls overlap (each tool_completed follows an unmatched tool_executing of its tool), "
    "and the frames are stamped and numbered as sent, so the recording shows two overlapping "
    "calls, as a service running them side by side sends them"
)
_TOOL_AFTER_COMPLETION = re.compile(r"tool_executing #\d+ sent before tool_completed #\d+")
UNOBSERVABLE_WHY: Mapping[str, str] = {
    **{f"reorder ({name})": _SWAP_WITH_A_DROP for name in _DROP_EVIDENCE},
    "reorder (tool_executing)": f"{_SWAP_WITH_A_DROP}; or {_OVERLAPPING_CALLS}",
    "stall (agent_completed)": (
        "a stall held back a run's agent_completed, which was then dropped: its silence never "
        "ended in an event, so it shows only as that loss (diagnosed as drop_event)"
    ),
    "drop_event (agent_thinking)": (
        "the last of a run's several thinking steps was dropped, leaving steps 1..n in order: "
        "what a run that stopped reasoning there sends, so no client can tell"
    ),
}


def _evidence(fault: str, event_type: str | None) -> frozenset[str] | None:
    """The rules that diagnose ``fault``; ``None`` for a fault without a table here (the
    connection-level ones), for which any finding in its run or its user's session is taken."""
    if fault == "drop_event":
        return _DROP_EVIDENCE.get(event_type or "", _ANY_DROP)
    return _EVIDENCE.get(fault)


def _step(event: Any) -> int | None:
    value = event.get("step_number")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else None


def unobservable_reason(fault: str, event_type: str | None, run_events: Sequence[Any]) -> str:
    """Why the recording of a run cannot show ``fault`` (``""`` when it can).

    ``agent_thinking`` is the one event a run may send any number of times (at least once,
    PROTOCOL.md §5). Dropping one is visible when it was the run's only one (the event type is
    missing) or when a later step arrived (``step_number`` skips it). Dropping the last of several
    leaves steps 1..n in order: exactly what a run that reasoned n times sends, so nothing
    recorded on the client differs from a correct run (``progress_percentage`` is the service's
    own estimate, not a count the contract defines, so it is no evidence either way).
    """
    if fault != "drop_event" or event_type != "agent_thinking":
        return ""
    thinking = [te.event for te in run_events if te.type == "agent_thinking"]
    if not thinking:
        return ""
    steps = [_step(event) for event in thinking]
    if any(step is None for step in steps):
        return (
            "an agent_thinking dropped among thinking steps that carry no step_number: the "
            "others arrived, and a run may think any number of times"
        )
    numbered = {step for step in steps if step is not None}
    if numbered != set(range(1, max(numbered) + 1)):
        return ""
    last = max(numbered)
    arrived = "step 1 arrived" if last == 1 else f"steps 1-{last} arrived in order"
    return (
        f"agent_thinking after step {last} not sent: {arrived}, which is what a run that "
        "stopped reasoning there sends"
    )


def _present(value: Any) -> bool:
    return value is not None and value == value  # NaN, as pandas fills a missing id, is not


def _rules_by_run(findings: Any) -> dict[str, set[str]]:
    rules: dict[str, set[str]] = {}
    for run_id, rule in zip(findings.get("run_id", ()), findings.get("rule", ()), strict=False):
        if _present(run_id):
            rules.setdefault(str(run_id), set()).add(str(rule))
    return rules


def _rules_by_session(findings: Any, streams: Iterable[Any]) -> dict[str, set[str]]:
    """Findings outside any run (a frame that is not an event has no run id), by the user whose
    session recorded them."""
    users = {str(s.label): str(s.user) for s in streams if getattr(s, "user", None)}
    rules: dict[str, set[str]] = {}
    columns = (findings.get(name, ()) for name in ("cassette", "run_id", "rule"))
    for cassette, run_id, rule in zip(*columns, strict=False):
        user = users.get(str(cassette))
        if user is not None and not _present(run_id):
            rules.setdefault(user, set()).add(str(rule))
    return rules


_CLOSE_CODE = re.compile(r"connection closed at [^:]*: (\d+)")


def _users_closed(findings: Any, streams: Iterable[Any], code: str) -> set[str]:
    """Users whose session closed with ``code``: only a 1009 (message too big) shows an
    oversized frame, a 1006 (no close frame) a dropped connection; another close in the same
    session is another fault's evidence."""
    users = {str(s.label): str(s.user) for s in streams if getattr(s, "user", None)}
    closed: set[str] = set()
    columns = (findings.get(name, ()) for name in ("cassette", "rule", "message"))
    for cassette, rule, message in zip(*columns, strict=False):
        match = _CLOSE_CODE.match(str(message)) if str(rule) == "connection_closed" else None
        if match and match.group(1) == code and str(cassette) in users:
            closed.add(users[str(cassette)])
    return closed


def _events_by_run(streams: Iterable[Any]) -> dict[str, list[Any]]:
    events: dict[str, list[Any]] = {}
    for stream in streams:
        for te in stream.events:
            run_id = te.event.run_id
            if run_id is not None:
                events.setdefault(str(run_id), []).append(te)
    return events


# How far apart the service's log of a refusal and the client's record of it may be (two
# clocks of one machine, and the client notes the attempt once the close has arrived).
_REFUSAL_MATCH_S = 2.0


def _refusals(streams: Iterable[Any]) -> list[tuple[float, str]]:
    """Every connection attempt the server refused for its credentials (a close 1008, HTTP
    401/403), as ``(wall time, what the client recorded)``: how an injected ``reject_auth``
    shows, whether or not a later transport got in (``auto``)."""
    found = []
    for stream in streams:
        for mark in getattr(stream, "marks", ()):
            data = mark.data if isinstance(mark.data, Mapping) else {}
            if mark.name != "transport_attempt" or mark.wall is None:
                continue
            code, status = data.get("close_code"), data.get("status")
            how = (
                f"close {code}"
                if code == 1008
                else f"HTTP {status}"
                if status in (401, 403)
                else ""
            )
            if how:
                transport = data.get("transport") or "?"
                found.append(
                    (float(mark.wall), f"auth: {transport} refused with {how} ({stream.label})")
                )
    return sorted(found)


def _largest_gap_ms(run_events: Sequence[Any]) -> float:
    times = sorted(te.t for te in run_events if te.t == te.t)
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0) * 1e3


def injected_frame(
    rows: Sequence[Mapping[str, Any]],
    findings: Any,
    metrics: Any,
    *,
    stall_ms: float,
    streams: Iterable[Any] = (),
) -> Any:
    """One row per injected fault (the service's fault log ``rows``): whether the recording can
    show it (``observable``), whether it was diagnosed and by what (``detected_by``; for a fault
    the recording cannot show, why not)."""
    import pandas as pd

    frame = pd.DataFrame(list(rows), columns=list(INJECTED_COLUMNS[:6]))
    streams = list(streams)
    rules = _rules_by_run(findings)
    session_rules = _rules_by_session(findings, streams)
    too_big = _users_closed(findings, streams, "1009")
    # A run the service dropped mid-run after a swap sent its agent_completed early: the client
    # had moved on, and the 1006 close lands in its next run or between runs.
    dropped = _users_closed(findings, streams, "1006")
    events = _events_by_run(streams)
    # Runs whose agent_completed another fault took (dropped, or the connection cut first): their
    # no_terminal is that fault's evidence. A stall in such a run is diagnosed only by its own
    # silence (an event gap, a late first event), never by the missing end the loss left.
    lost_end: dict[str, tuple[str, str]] = {}  # run: (the fault, its detail)
    for row in rows:
        fault_name, event_name = row.get("fault"), row.get("event_type")
        ends_run = fault_name == "disconnect_mid_run" or (
            fault_name == "drop_event" and event_name == "agent_completed"
        )
        if ends_run and _present(row.get("run_id")):
            lost_end.setdefault(str(row["run_id"]), (str(fault_name), str(row.get("detail") or "")))
    gaps = metrics[metrics["phase"] == "event_gap"].groupby("run")["value_ms"].max()
    # A stall before agent_started leaves no gap between events: it delays the first one.
    firsts = metrics[metrics["phase"] == "first_event"].groupby("run")["value_ms"].max()

    def seen_as(fault: str, event_type: Any, run_id: Any, user_id: Any) -> str:
        wanted = _evidence(fault, event_type if isinstance(event_type, str) else None)
        if fault == "oversized_frame" and str(user_id) not in too_big:
            wanted = frozenset({"oversized_frame"})
        if fault == "stall" and wanted is not None and str(run_id) in lost_end:
            wanted = wanted - {"no_terminal"}
        found = rules.get(str(run_id), set()) if _present(run_id) else set()
        matching = found if wanted is None else found & wanted
        if matching:
            return "contract: " + ", ".join(sorted(matching))
        if fault == "disconnect_mid_run" and str(user_id) in dropped:
            return "contract: connection_closed (1006, in the session)"
        if wanted is None or fault in _OUTSIDE_RUNS:
            found = session_rules.get(str(user_id), set())
            matching = found if wanted is None else found & wanted
            if matching:
                return f"contract: {', '.join(sorted(matching))} (in the session, outside any run)"
        if fault != "stall":
            return ""
        # The recorded events too: a stall longer than the client waited leaves its gap among
        # events the client had stopped counting as the run's (late, after its timeout).
        gap = max(gaps.get(run_id, 0.0), _largest_gap_ms(events.get(str(run_id), ())))
        if gap >= 0.8 * stall_ms:
            return f"latency: {gap:.0f} ms event gap"
        first = firsts.get(run_id)
        if first is not None and first >= 0.8 * stall_ms:
            return f"latency: {first:.0f} ms to the first event"
        return ""

    refusals = _refusals(streams)

    def refusal_for(wall: Any) -> str:
        # The nearest refusal in time not already taken by another injected one.
        if not isinstance(wall, int | float):
            return ""
        near = [r for r in refusals if abs(r[0] - wall) <= _REFUSAL_MATCH_S]
        if not near:
            return ""
        best = min(near, key=lambda r: abs(r[0] - wall))
        refusals.remove(best)
        return best[1]

    # What the service dropped, by run: a swap in such a run may have lost one of its two
    # events (or the one its order is judged against), and then shows only as that loss.
    drops: dict[str, list[str]] = {}
    for row in rows:
        lossy = row.get("fault") in ("drop_event", "disconnect_mid_run")
        if lossy and _present(row.get("run_id")):
            drops.setdefault(str(row["run_id"]), []).append(str(row.get("detail") or ""))
    walls = [row.get("wall") for row in rows]
    details = [str(row.get("detail") or "") for row in rows]
    detected_by, observable, detected = [], [], []
    for (fault, event_type, run_id, user_id), wall, detail in zip(
        zip(frame["fault"], frame["event_type"], frame["run_id"], frame["user_id"], strict=True),
        walls,
        details,
        strict=True,
    ):
        if str(fault) == "reject_auth":
            seen = refusal_for(wall)
        else:
            seen = seen_as(str(fault), event_type, run_id, user_id)
        why = (
            "" if seen else unobservable_reason(str(fault), event_type, events.get(str(run_id), ()))
        )
        if not seen and str(fault) == "reorder" and drops.get(str(run_id)):
            why = (
                f"the same run also lost events ({'; '.join(drops[str(run_id)])}): the swap "
                "left no order of its own to judge, only that loss (diagnosed as that fault)"
            )
        elif not seen and str(fault) == "reorder" and _TOOL_AFTER_COMPLETION.fullmatch(detail):
            why = _OVERLAPPING_CALLS
        held_end = str(fault) == "stall" and event_type == "agent_completed"
        lost = lost_end.get(str(run_id))
        if not seen and held_end and lost is not None and lost[0] == "drop_event":
            # The stall held back the agent_completed that was then dropped: the silence it
            # began never ended in an event, exactly as the drop alone leaves it.
            why = (
                f"the stall held back the run's agent_completed, which was then dropped "
                f"({lost[0]}: {lost[1]}): its silence never ended in an event, so it shows "
                "only as that loss (no_terminal, diagnosed as drop_event)"
            )
        detected_by.append(seen or (f"not observable: {why}" if why else ""))
        observable.append(not why)
        detected.append(bool(seen))
    frame["observable"] = observable
    frame["detected"] = detected
    frame["detected_by"] = detected_by
    return frame
