"""Critical events that reach a fan-out's run after its row was made (sent after its terminal
event: between runs, during a later run, or at the end): received, late, not lost."""

from __future__ import annotations

from netra_diag.events.model import CRITICAL_EVENTS, TimedEvent
from netra_diag.live.fanout_rows import UserState, critical_in_run, expected_critical_events

__all__ = ["count_late_events"]


def count_late_events(st: UserState, expected_events: int | None) -> None:
    """Add to each run's row the critical events of that run that came after its row was made:
    sent after its terminal event, they arrived between runs, during a later run (which leaves
    them out: ``netra_diag.live.runner``) or at the end. They were received, late, not lost
    (the contract check names them: event_after_terminal). Reads ``st.events``, the whole
    session as received."""
    by_run = {record.run_id: record for record in st.records if record.run_id}
    if not by_run:
        return
    counted = {te.index for record in st.records for te in record.events}
    late: dict[str, list[TimedEvent]] = {}
    for te in st.events:
        run_id = te.event.run_id
        if (
            run_id in by_run
            and te.index not in counted
            and te.type in CRITICAL_EVENTS
            and te.event.thread_id in (None, st.thread_id)
        ):
            late.setdefault(run_id, []).append(te)
    for row in st.run_rows:
        extra = late.get(row["run_id"]) if row.get("run_id") in by_run else None
        if not extra:
            continue
        _, own = critical_in_run(by_run[row["run_id"]], st.thread_id)
        own += extra
        expected = expected_events if expected_events is not None else expected_critical_events(own)
        row["critical_received"] = len(own)
        row["critical_expected"] = expected
        row["events_lost"] = max(0, expected - len(own))
