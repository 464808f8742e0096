"""The findings of a triage report that compare: with the baseline (new failures, fixes, tests
gone or skipping now, slowdowns) and with the history of earlier runs (slowdowns).
``findings.with_findings`` ranks them with the others."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from netra_diag.suites.diff import SWAPPED_AFTER_S
from netra_diag.suites.finding import Finding
from netra_diag.suites.history_durations import HistorySlowdown
from netra_diag.suites.model import FAILING
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.triage import TriageReport

__all__ = ["comparison_findings", "swapped_finding"]


def comparison_findings(report: TriageReport) -> list[Finding]:
    """What the baseline diff and the history's durations found."""
    found = _baseline_findings(report)
    if report.flakiness is not None and report.flakiness.slower:
        found.append(_slower_than_history(report.flakiness.slower))
    return found


def _baseline_findings(report: TriageReport) -> list[Finding]:
    d = report.diff
    if d is None:
        return []
    found: list[Finding] = []
    unsettled = report.flakiness.unsettled() if report.flakiness else {}
    if d.baseline_later_s >= SWAPPED_AFTER_S:
        found.append(swapped_finding(d.baseline_later_s))
    if d.new_failures:
        phrase = f"{plural(len(d.new_failures), 'new failure')} since baseline"
        flipping = [tid for tid in d.new_failures if tid in unsettled]
        if flipping:
            # (a test that flips from run to run failing now is no evidence of a regression;
            # the exit code still counts it: a history is no excuse to pass a gate)
            which = "flaky" if len(flipping) == len(d.new_failures) else f"{len(flipping)} flaky"
            phrase += f" ({which} in the history)"
        found.append(Finding(12, phrase, ", ".join(flipping[:3])))
    if d.failing_added:
        added = set(d.failing_added)
        # (a reading, not a fact: the exit code still counts them as new)
        renamed = [f"{new} from {old}" for old, new in d.possibly_renamed if new in added]
        found.append(
            Finding(
                48,
                f"{plural(len(d.failing_added), 'failing test')} not in the baseline",
                f"possibly renamed: {', '.join(renamed[:3])}" if renamed else "",
            )
        )
    if d.cause_changed:
        found.append(
            Finding(60, f"{plural(len(d.cause_changed), 'test')} still failing for a new cause")
        )
    if d.fixed:
        found.append(_fixed(d.fixed, unsettled))
    if d.newly_skipped and report.baseline is not None:
        base_rows = report.baseline.row_by_id
        skipping = sum(
            1
            for tid in d.newly_skipped
            if (row := base_rows.get(tid)) is not None and row.outcome in FAILING
        )
        if skipping:
            found.append(
                Finding(
                    16,
                    f"{plural(skipping, 'test')} failing in the baseline now "
                    f"{'skips' if skipping == 1 else 'skip'}",
                    "a failure that now skips is not fixed",
                    weak=True,
                )
            )
    if (
        d.removed
        and report.baseline is not None
        # (a baseline sharing no test is another suite's: its warning says so)
        and len(d.removed) < len(report.baseline.rows)
    ):
        # A failing test deleted is no fix: "all tests pass" over the survivors alone
        # would be the survivorship PROTOCOL.md §10 warns of.
        base = report.baseline
        failing_there = sum(
            1 for tid in d.removed if (row := base.row_by_id.get(tid)) and row.outcome in FAILING
        )
        renamed = [
            f"{old} -> {new}"
            for old, new in d.possibly_renamed
            if (row := base.row_by_id.get(old)) and row.outcome in FAILING
        ]
        if failing_there:
            found.append(
                Finding(
                    15,
                    f"{plural(failing_there, 'test')} failing in the baseline "
                    f"{'is' if failing_there == 1 else 'are'} gone",
                    f"{len(d.removed)} removed since baseline, {failing_there} of them failing "
                    "there: removed, renamed or not collected?"
                    + (f" Possibly renamed: {', '.join(renamed[:3])}" if renamed else ""),
                    weak=True,  # (--strict: a gate that deleting a failing test cannot pass)
                )
            )
    if d.duration_regressions:
        worst = d.duration_regressions[0]  # (the most seconds added first)
        found.append(
            Finding(
                101,  # after "all tests pass": they pass, but slower
                f"{plural(len(d.duration_regressions), 'test')} slower than in the baseline",
                f"{worst.test_id}: {worst.before:.2f} s -> {worst.after:.2f} s",
                kind="slower",  # (against the history too: the headline says it once)
            )
        )
    return found


def swapped_finding(later_s: float) -> Finding:
    """The baseline ran long after the run it is compared with: its new failures would be
    fixes, its fixes new failures. (Said right after "new failures", which it may invert.)"""
    return Finding(
        13,
        f"the baseline ran {_span(later_s)} after this run: RESULTS and --baseline swapped?",
        "as their reports say when they started; a baseline is an earlier run",
    )


def _span(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = round(seconds / 3600)
    return f"{hours} h" if hours < 48 else f"{round(seconds / 86400)} days"


def _fixed(fixed: Sequence[str], unsettled: Mapping[str, str]) -> Finding:
    """``2 fixed since baseline``; those whose history goes back and forth (``unsettled``) are
    said (a test that flips from run to run passing now is no evidence of a fix)."""
    flipping = [tid for tid in fixed if tid in unsettled]
    phrase = f"{len(fixed)} fixed since baseline"
    if flipping:
        which = "flaky" if len(flipping) == len(fixed) else f"{len(flipping)} flaky"
        phrase += f" ({which} in the history: may fail again)"
    return Finding(90, phrase, ", ".join(flipping[:3]))


def _slower_than_history(slower: Sequence[HistorySlowdown]) -> Finding:
    """``2 tests slower than their history`` (after a baseline's slowdowns: one run to compare
    with says more of this change than the median of several)."""
    worst = slower[0]  # (the most seconds added first)
    few = " (few runs to judge by)" if worst.few_runs else ""
    return Finding(
        102,
        f"{plural(len(slower), 'test')} slower than "
        + ("its history" if len(slower) == 1 else "their history"),
        f"{worst.test_id}: {worst.after:.2f} s, median {worst.median:.2f} s over "
        f"{plural(worst.runs, 'earlier pass', 'earlier passes')}{few}",
        kind="slower",
    )
