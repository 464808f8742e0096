"""What a triage found, worst first: the statements a report's headline is made of.

Each ``Finding`` has a rank (lower is worse); the headline (``TriageReport.headline``) takes the
worst ones, one of each kind. The ranks encode what an engineer must hear first: no tests ran,
an outage, the worst suite, new failures, critical events never seen, one cause behind many
failures, passes that prove little.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from netra_diag.events.model import CRITICAL_EVENTS
from netra_diag.suites.categories import Category, category_label
from netra_diag.suites.finding import Finding
from netra_diag.suites.findings_compare import comparison_findings
from netra_diag.suites.model import Counts, suite_label
from netra_diag.suites.phases import Phase
from netra_diag.suites.remediation import SuiteStatus
from netra_diag.suites.subtests import noted_summary
from netra_diag.suites.vacuous import OUTPUT_SAYS, RUN_SUBJECT, VacuousKind, VacuousSignal
from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.triage import TriageReport

__all__ = ["Finding", "with_findings"]


def with_findings(report: TriageReport) -> TriageReport:
    """``report`` with its findings, worst first (what its headline is made of)."""
    counts = report.current.counts
    total = len(report.current.rows)
    failing = counts.failed + counts.errors
    found: list[Finding] = []
    if report.current.interrupted:
        # pytest.exit or Ctrl-C: the counts are of the tests that ran before, not of the suite
        found.append(Finding(0, report.current.interrupted, kind="interrupted", weak=True))
    if total == 0:
        found.append(Finding(0, "no tests ran", "the results contain no test cases", weak=True))
    elif failing and _only_collection_errors(report):
        # pytest stops before running any test when a module fails to import (without
        # --continue-on-collection-errors): "0 of 1 test_x tests pass" would hide that nothing ran
        unit = _loaded_unit(report)
        found.append(
            Finding(
                0,
                f"no test ran: {plural(total, unit)} failed at collection",
                f"every result is a {unit} that failed to load"
                + (
                    " (pytest runs no test after a collection error, unless "
                    "--continue-on-collection-errors)"
                    if unit == "module"
                    else ""
                ),
                kind="suite",
            )
        )
        unloaded: set[str] = set()
    else:
        # Suites that are test files which failed to load: "0 of 1 broken.test.js tests pass"
        # reads as a test that ran and failed; nothing in them ran.
        unloaded = _unloaded_suites(report)
        if unloaded:
            unit = _loaded_unit(report)
            names = ", ".join(suite_label(s) for s in sorted(unloaded)[:3])
            more = f" (+{len(unloaded) - 3} more)" if len(unloaded) > 3 else ""
            found.append(
                Finding(
                    9,
                    f"{plural(len(unloaded), unit)} failed to load: {names}{more}",
                    f"no test in {'it' if len(unloaded) == 1 else 'them'} ran (an import, "
                    "syntax or configuration error at collection: PROTOCOL.md §9.6)",
                    kind="collection",
                )
            )
    if report.outage:
        found.append(Finding(5, f"outage: {report.outage}"))
    named = len(report.suites) > 1 or (report.suites and report.suites[0].suite)
    ranked = sorted(report.suites, key=lambda s: (s.pass_rate or 0.0, -s.failing))
    spread = _spread_over_suites(report, ranked)
    if spread is not None:
        found.append(spread)
    for i, s in enumerate(ranked):
        if not s.failing or s.suite in unloaded:
            continue
        # (next to named suites, the tests outside any are "(top level)": "0 of 1 tests pass"
        # would read as the whole run's count)
        where = f"{suite_label(s.suite)} " if named else ""
        phrase = f"{s.passed} of {s.tests} {where}tests pass"
        found.append(Finding(10 + i, phrase, s.current_text(), kind="suite"))
    found.extend(comparison_findings(report))
    missing = report.critical_missing
    if missing:
        found.append(
            Finding(
                20,
                f"{len(missing)} of {len(CRITICAL_EVENTS)} critical events never observed",
                "not observed: " + ", ".join(missing),
                weak=True,
            )
        )
    infra = {Category.INFRASTRUCTURE}
    multi = [c for c in report.clusters if c.size > 1]
    # (on a tie, a named §9 cause before an uncategorised one: it says what to fix; a cause of
    # tests that had failed first for another comes after those that decided their outcome)
    multi.sort(
        key=lambda c: (-c.counted, -c.size, c.category in infra, c.category is Category.OTHER)
    )
    for j, cluster in enumerate(multi):
        label = category_label(cluster.category)
        after = len(cluster.counted_elsewhere)
        phrase = f"{cluster.size} failures are one cause ({label})"
        if after:
            phrase += f", {after} of them after the test had failed for another"
        found.append(Finding(30 + j, phrase, cluster.because, kind="cluster"))
    categorised = {c.category for c in report.clusters} - {Category.OTHER}
    if not multi and len(report.clusters) > 1 and categorised:
        # Every cause has one test: name their categories, so that the headline says why
        found.append(_causes_by_category(report))
    found.extend(_vacuous_findings(report.vacuous, total, _not_run(counts)))
    if report.flakiness and report.flakiness.flaky:
        found.append(Finding(55, report.flakiness.summary()))
    elif counts.flaky:
        found.append(Finding(55, f"{plural(counts.flaky, 'test')} passed only on retry"))
    ran = total - counts.skipped - counts.xfailed
    if ran and not failing:
        if ran == total and not report.current.interrupted:
            lead = "the one test passes" if ran == 1 else f"all {ran} tests pass"
        else:
            lead = "the one test that ran passes" if ran == 1 else f"all {ran} tests that ran pass"
        weak = [f for f in found if f.rank < 50]
        if weak:
            lead += ", but the pass proves little"
        found.append(Finding(1 if weak else 100, lead, counts.summary()))
    found.sort(key=lambda f: f.rank)
    return replace(report, findings=tuple(found))


def _loaded_unit(report: TriageReport) -> str:
    """What a runner loads tests from: pytest's modules, jest's and node's test files."""
    return "module" if "pytest" in report.current.fmt else "test file"


def _unloaded_suites(report: TriageReport) -> set[str]:
    """Suites every test of which is an error at collection (a test file that failed to load:
    jest writes it as one failing test in a suite of its own)."""
    run = report.current
    # (only the clusters at collection are looked into: a large run has many failing tests)
    collected = {
        tid
        for cluster in report.clusters
        if cluster.phase is Phase.COLLECTION
        for tid in cluster.tests
        if (case := run.get(tid)) is not None
        and (problem := case.primary) is not None
        and problem.phase == "collection"
    }
    if not collected:
        return set()
    # (by the suite names the statuses use: pytest's one "pytest" testsuite is split by module)
    at_collection: dict[str, int] = {}
    for test_id, suite in zip(run.columns.test_ids, run.suite_names, strict=True):
        if test_id in collected:
            at_collection[suite] = at_collection.get(suite, 0) + 1
    return {s.suite for s in report.suites if s.tests and at_collection.get(s.suite) == s.tests}


def _only_collection_errors(report: TriageReport) -> bool:
    """Whether every test of the run is a collection error (the run stopped at collection)."""
    details = report.current.details
    for row in report.current.rows:
        case = details.get(row.test_id)
        problem = case.primary if case is not None else None
        if problem is None or problem.phase != "collection":
            return False
    return True


# Failing suites whose pass rates all lie within this band fail alike: none of them leads.
_ALIKE = 0.10


def _spread_over_suites(report: TriageReport, ranked: Sequence[SuiteStatus]) -> Finding | None:
    """The run-level finding that leads when failures are spread over many suites alike.

    Leading with the worst of seven suites that each pass 79-80 % would point at one suite for
    a problem they all share; the run's own count says it better."""
    failing = [s for s in ranked if s.failing]
    if len(failing) < 3:
        return None
    worst, best = failing[0].pass_rate or 0.0, failing[-1].pass_rate or 0.0
    if best - worst >= _ALIKE:
        return None  # some fail worse than others: the worst one leads
    counts = report.current.counts
    total = len(report.current.rows)
    passed = sum(s.passed for s in ranked)
    low, high = worst * 100, best * 100
    rates = f"{low:.0f} %" if round(low) == round(high) else f"{low:.0f}–{high:.0f} %"
    return Finding(
        9,
        # (a comma, not "; ": the headline joins its findings with semicolons)
        f"{passed} of {total} tests pass, failures spread over {len(failing)} of "
        f"{len(ranked)} suites alike ({rates} of each one's tests pass)",
        noted_summary(
            counts,
            sum(s.failed_subtests for s in ranked),
            sum(s.tests_with_failed_subtests for s in ranked),
        ),
        kind="suite",
    )


def _causes_by_category(report: TriageReport) -> Finding:
    """``4 failures by category: event contract (§5) ×2, secret or claim mismatch, …``."""
    by_category: dict[str, int] = {}
    for cluster in report.clusters:
        if not cluster.counted:
            continue  # (its tests are counted with the cause they failed for first)
        label = category_label(cluster.category)
        by_category[label] = by_category.get(label, 0) + cluster.counted
    failing = sum(by_category.values())
    listed = ", ".join(
        label + (f" ×{n}" if n > 1 else "")
        for label, n in sorted(by_category.items(), key=lambda item: -item[1])
    )
    return Finding(31, f"{plural(failing, 'failure')} by category: {listed}", kind="cluster")


def _not_run(counts: Counts) -> str:
    """How tests that did not count as run ended: "skipped", "xfailed", or both."""
    if counts.xfailed and counts.skipped:
        return "skipped or xfailed"
    return "xfailed" if counts.xfailed else "skipped"


def _vacuous_findings(
    signals: Sequence[VacuousSignal], total: int, not_run: str = "skipped"
) -> list[Finding]:
    by_kind: dict[str, list[VacuousSignal]] = {}
    for sig in signals:
        by_kind.setdefault(sig.kind, []).append(sig)
    out: list[Finding] = []
    for kind, sigs in by_kind.items():
        n = len(sigs)
        if kind == VacuousKind.AUTH_BYPASS:
            users = sorted({s.detail.split("'")[1] for s in sigs if "'" in s.detail})
            said = sum(s.detail.startswith(OUTPUT_SAYS) for s in sigs)
            where = [
                text
                for text in (
                    plural(n - said, "recording") if n - said else "",
                    plural(said, "passing test's output", "passing tests' output") if said else "",
                )
                if text
            ]
            out.append(Finding(25, f"auth bypassed in {' and '.join(where)} ({', '.join(users)})"))
        elif kind == VacuousKind.ONLY_SKIPS:
            whole = any(s.subject == RUN_SUBJECT for s in sigs)
            phrase = (
                f"all {total} tests {not_run}: nothing was tested"
                if whole
                else f"{plural(n, 'suite')} only skipped "
                f"({', '.join(suite_label(s.subject) for s in sigs)})"
            )
            out.append(Finding(3 if whole else 42, phrase))
        elif kind == VacuousKind.ZERO_MS_NETWORK_PASS:
            out.append(
                Finding(40, f"{plural(n, 'pass', 'passes')} took ~0 ms against a network service")
            )
        elif kind == VacuousKind.CONTRACT_BROKEN:
            tests = {s.subject for s in sigs}
            whose = (
                "1 passing test's recording breaks"
                if len(tests) == 1
                else f"{len(tests)} passing tests' recordings break"
            )
            out.append(Finding(24, f"{whose} the event contract", sigs[0].detail))
        elif kind == VacuousKind.NEVER_AWAITED:
            phrase = f"{plural(n, 'pass', 'passes')} never ran: coroutine never awaited"
            out.append(Finding(33, phrase, sigs[0].detail))
        elif kind == VacuousKind.ZERO_FRAME_RECORDING:
            out.append(Finding(35, f"{plural(n, 'recording')} with zero frames"))
        elif kind == VacuousKind.FALLBACK:
            out.append(Finding(38, f"{plural(n, 'test')} passed against a local stand-in"))
        elif kind == VacuousKind.SKIPPED_UNREACHABLE:
            skipped = sum(s.tests for s in sigs)  # (one signal per suite)
            phrase = (
                f"{plural(skipped, 'test')} skipped because the service was unreachable or not "
                "configured"
            )
            out.append(Finding(45, phrase))
        elif kind == VacuousKind.NO_TESTS:
            continue
    return [replace(f, weak=True) for f in out]
