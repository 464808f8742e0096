"""Diffing a run recorded with its request (a message_sent mark) against one recorded
without read "waiting +3000 ms" and a total 3 s longer for two runs that were alike: the wait
the other run's recording lacks counted as 0 s. It is unknown now, and the totals compare from
the first event."""

from __future__ import annotations

from event_streams import golden_run, stream

from netra_diag.charts.timeline import diff_figure
from netra_diag.events.diff import diff_runs
from netra_diag.events.timeline import Mark

SENT = [Mark("message_sent", -3.0, {"type": "user_message"})]


def test_a_wait_only_one_side_recorded_is_no_difference() -> None:
    diff = diff_runs(stream(golden_run()), stream(golden_run()), failing_marks=SENT)
    assert diff.summary.endswith("same event sequence"), diff.summary
    phases = {p.phase: p for p in diff.phases}
    assert phases["waiting"].delta_s is None and phases["waiting"].failing_s == 3.0
    assert phases["total"].delta_s == 0.0
    texts = next(t for t in diff_figure(diff).data if getattr(t, "mode", None) == "text").text
    assert "+3000 ms" not in texts


def test_a_wait_both_sides_recorded_is_compared() -> None:
    later = [Mark("message_sent", -1.0, {"type": "user_message"})]
    diff = diff_runs(
        stream(golden_run()), stream(golden_run()), failing_marks=SENT, passing_marks=later
    )
    phases = {p.phase: p for p in diff.phases}
    assert phases["waiting"].delta_s == 2.0
    assert diff.summary.endswith("waiting +2000 ms"), diff.summary
