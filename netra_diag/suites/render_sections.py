"""The parts of a triage report's text and Markdown renderings that are lists of items: cut at
``max_tests`` with a line saying so, and the closing sections (passes that prove little, tests
slower than their history, flakiness, warnings) that both renderings set, each in its way."""

from __future__ import annotations

from collections.abc import Sequence
from math import isfinite
from typing import TYPE_CHECKING

from netra_diag.suites.history_durations import FEW_RUNS
from netra_diag.suites.model import suite_label
from netra_diag.suites.vacuous import RUN_SUBJECT, VACUOUS_LABELS, VacuousSignal
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.flaky import FlakinessReport
    from netra_diag.suites.triage import TriageReport

__all__ = ["closing_sections", "cut_line", "listed"]


def listed(items: Sequence[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" … (+{len(items) - limit} more)" if len(items) > limit else "")


def cut_line(total: int, max_tests: int) -> list[str]:
    """The line that says a list was cut at ``max_tests`` items (none if it was not): the
    count alone, in a section's title, did not say how to see the rest."""
    if total <= max_tests:
        return []
    return [f"… (+{total - max_tests} more: --max-tests N shows more)"]


def _times_median(factor: float) -> str:
    # (earlier passes written as 0.000 s have no ratio: "from under 1 ms the median" read wrong)
    return f"{factor:.1f}x the median" if isfinite(factor) else "the median under 1 ms"


def _slower_than_history(flakiness: FlakinessReport, max_tests: int) -> list[str]:
    slower = flakiness.slower
    items = [
        f"{s.test_id}: {s.median:.2f} s -> {s.after:.2f} s ({_times_median(s.factor)} of "
        f"{plural(s.runs, 'earlier pass', 'earlier passes')}, slowest before {s.slowest:.2f} s)"
        for s in slower[:max_tests]
    ]
    items += cut_line(len(slower), max_tests)
    if any(s.few_runs for s in slower):
        items.append(
            f"few earlier runs (under {FEW_RUNS} passes of a test): a hint to look at, not a trend"
        )
    return items


def _this_run(flakiness: FlakinessReport) -> str:
    """Where this run's letter is: last, or (a history holding later runs) which run it is."""
    at = flakiness.this_run
    if at < 0 or at == flakiness.runs - 1:
        return "this run last"
    return (
        f"this run the {_ordinal(at + 1)} of {flakiness.runs} by when they started "
        f"({plural(flakiness.runs - at - 1, 'later run')} after it)"
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _signal_items(signals: Sequence[VacuousSignal], shown: int) -> list[str]:
    items = [
        # ("no tests: (run): the results contain no tests" read as a suite named "(run)")
        f"{VACUOUS_LABELS[sig.kind]}: "
        + ("the whole run" if sig.subject == RUN_SUBJECT else suite_label(sig.subject))
        + f": {sig.detail}"
        for sig in signals[:shown]
    ]
    if len(signals) > shown:
        items.append(f"… (+{len(signals) - shown} more)")
    return items


def closing_sections(report: TriageReport, max_tests: int) -> list[tuple[str, list[str]]]:
    """The report's last sections, as (title, items): passes that prove little, flakiness,
    warnings (the text and Markdown renderings differ only in how they set them)."""
    sections: list[tuple[str, list[str]]] = []
    if report.vacuous:
        # A failing test's session can show a weak signal too (auth bypassed): that is no pass,
        # but what its failure was measured against.
        failing_ids = {t for cluster in report.clusters for t in cluster.tests}
        on_passes = [s for s in report.vacuous if s.subject not in failing_ids]
        on_failures = [s for s in report.vacuous if s.subject in failing_ids]
        for title, signals in (
            ("Passes that prove little", on_passes),
            ("Failing tests whose sessions prove little", on_failures),
        ):
            if signals:
                sections.append((title, _signal_items(signals, max_tests * 3)))
    flakiness = report.flakiness
    if flakiness is not None and flakiness.slower:
        sections.append(("Slower than their history", _slower_than_history(flakiness, max_tests)))
    if flakiness is not None:
        items = [f"outage: {reason}" for reason in flakiness.outage_reasons]
        if flakiness.flaky or flakiness.no_longer_run:
            items.append(
                "letters: one per run that ran the test (not skipped, no outage), oldest "
                f"first, {_this_run(flakiness)}: P passed, F failed or errored, R passed on retry"
            )
        items += [
            f"{ft.test_id}: {ft.history} (score {ft.score:.2f}, retries {ft.passed_on_retry})"
            for ft in flakiness.flaky[:max_tests]
        ]
        items += cut_line(len(flakiness.flaky), max_tests)
        if flakiness.no_longer_run:
            # (flaky before, removed or renamed since: nothing to fix in this run)
            gone = [
                ft.test_id
                + (
                    f" (possibly renamed {new})"
                    if (new := flakiness.renamed_to(ft.test_id))
                    else ""
                )
                for ft in flakiness.no_longer_run
            ]
            items.append(f"flaky before, no longer run: {listed(gone, max_tests)}")
        sections.append((f"Flakiness: {flakiness.summary()}", items))
    if report.warnings:
        shown = [*report.warnings[:max_tests], *cut_line(len(report.warnings), max_tests)]
        sections.append(("Warnings", shown))
    return sections
