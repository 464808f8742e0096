"""One rule for which contract findings only say that a run stopped early (used by fanout, the
investigation's contract check and its verdicts, which each had a copy that differed)."""

from __future__ import annotations

from netra_diag.events.contracts import Finding, Rule, Severity


def _finding(rule: Rule, message: str = "", indices: tuple[int, ...] = ()) -> Finding:
    return Finding(rule, Severity.ERROR, message, None, indices)


def test_what_any_cut_run_shows_is_only_stopped() -> None:
    assert _finding(Rule.NO_TERMINAL).says_only_stopped
    assert _finding(Rule.UNFINISHED_TOOL).says_only_stopped
    assert _finding(Rule.MISSING_EVENT, "run r never sent agent_completed").says_only_stopped


def test_what_was_lost_before_a_cut_is_not() -> None:
    # a step missing between two events that arrived; agent_started, which comes first
    assert not _finding(Rule.MISSING_EVENT, "steps 2 never arrived", (3, 4)).says_only_stopped
    assert not _finding(Rule.MISSING_EVENT, "run r never sent agent_started").says_only_stopped
    assert not _finding(Rule.DUPLICATE_EVENT).says_only_stopped
