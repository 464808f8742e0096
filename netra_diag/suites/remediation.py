"""The per-suite remediation table (PROTOCOL.md §10), regenerated from results instead of prose.

One row per suite: tests, baseline and current pass counts, duration, what changed since the
baseline, the causes of its failures (from the clusters) and what makes its passes weak. Pass,
fail, error and skip stay separate: "17/26 functioning" is the blur this table exists to replace.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import compress, filterfalse, repeat
from operator import add, itemgetter
from typing import Any

from netra_diag.suites.categories import category_label
from netra_diag.suites.clusters import Cluster
from netra_diag.suites.diff import RunDiff
from netra_diag.suites.model import FAILING, Counts, Outcome, SuiteRun
from netra_diag.suites.subtests import failed_subtests, subtests_note
from netra_diag.suites.vacuous import VacuousKind, VacuousSignal
from netra_diag.wording import plural

__all__ = ["SuiteStatus", "SuiteTallies", "suite_statuses", "tally_suites"]


_NOT_PASSED = frozenset(Outcome) - {Outcome.PASSED}


@dataclass(frozen=True, slots=True)
class SuiteStatus:
    suite: str
    tests: int
    counts: Counts
    duration: float
    baseline: Counts | None = None
    baseline_tests: int = 0
    # Tests whose outcome is a pass (None: as ``counts.passed``). Fewer than the runner's
    # "passed" when a test passed and then errored in teardown: pytest counts it in both.
    passing: int | None = None
    baseline_passing: int | None = None
    new_failures: int = 0
    fixed: int = 0
    causes: tuple[str, ...] = ()
    weak_passes: tuple[str, ...] = ()
    slower: int = 0  # tests the diff found slower than in the baseline
    now_skipped: int = 0  # tests that failed or passed in the baseline and skip now
    # Of counts.failed, how many are failed subtests, and of how many tests (pytest counts each)
    failed_subtests: int = 0
    tests_with_failed_subtests: int = 0

    @property
    def passed(self) -> int:
        """Tests that passed and did not then error (see ``passing``)."""
        return self.counts.passed if self.passing is None else self.passing

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.tests if self.tests else None

    @property
    def failing(self) -> int:
        return self.counts.failed + self.counts.errors

    def current_text(self) -> str:
        rate = self.pass_rate
        pct = f" ({rate * 100:.0f} %)" if rate is not None else ""
        c = self.counts
        errors = plural(c.errors, "error") if c.errors else ""
        after = c.passed - self.passed  # (counted as passed by the runner, errored after)
        if errors and after > 0:
            errors += f" ({after} after the test passed)"
        failed = f"{c.failed} failed" if c.failed else ""
        # ("0/1 pass; 2 failed" for a test with one failed subtest read as a miscount)
        note = subtests_note(c.failed, self.failed_subtests, self.tests_with_failed_subtests)
        failed += f" ({note})" if note else ""
        extra = [text for text in (failed, errors) if text]
        if c.skipped:
            extra.append(f"{c.skipped} skipped")
        # (so that the parts add up to the tests: "1/10 pass; 6 failed, 1 skipped" left two out)
        if c.xfailed:
            extra.append(f"{c.xfailed} xfailed")
        if c.xpassed:
            extra.append(f"{c.xpassed} xpassed")
        more = f"; {', '.join(extra)}" if extra else ""
        return f"{self.passed}/{self.tests} pass{pct}{more}"

    def baseline_text(self) -> str:
        if self.baseline is None:
            return "unknown (not in baseline)"
        passed = self.baseline.passed if self.baseline_passing is None else self.baseline_passing
        return f"{passed}/{self.baseline_tests} pass"

    def change_text(self) -> str:
        if self.baseline is None:
            return "no baseline"
        parts = []
        if self.new_failures:
            parts.append(plural(self.new_failures, "new failure"))
        if self.fixed:
            parts.append(f"{self.fixed} fixed")
        if self.tests != self.baseline_tests:
            more = self.tests - self.baseline_tests  # ("-1 tests": one test is singular)
            parts.append(f"{more:+d} {'test' if abs(more) == 1 else 'tests'}")
        if self.now_skipped:
            parts.append(f"{self.now_skipped} now skipped")
        if self.slower:
            parts.append(f"{self.slower} slower")
        return ", ".join(parts) or "no change"


class _Tally:
    __slots__ = ("counts", "duration", "flaky", "outcomes", "passing", "subtests", "tids")

    def __init__(
        self,
        tids: Sequence[str],
        outcomes: Sequence[Outcome],
        durations: Sequence[float | None],
        recount: Mapping[str, tuple[Outcome, ...]],
    ) -> None:
        self.tids = tids
        self.outcomes = outcomes
        if None in durations:
            durations = [d or 0.0 for d in durations]
        # One by one, in order, like a loop of += (sum() may round differently).
        self.duration: float = reduce(add, durations, 0.0)
        # As the runner counted: a failing or skipped test's details may count it twice.
        counts = self.counts = Counter(outcomes)
        # Tests that passed, as a reader means it: not one whose teardown then raised, which
        # pytest counts in both "passed" and "error".
        self.passing = counts[Outcome.PASSED]
        self.subtests = [0, 0]  # failed subtests, and the tests they are of
        if recount:
            for tid, outcome in compress(
                zip(tids, outcomes, strict=True), map(_NOT_PASSED.__contains__, outcomes)
            ):
                counted = recount.get(tid)
                if counted is not None:
                    subtests = failed_subtests(outcome, counted)
                    if subtests:
                        self.subtests[0] += subtests
                        self.subtests[1] += 1
                    counts[outcome] -= 1
                    for other in counted:  # Counter.update is slow for tiny iterables
                        counts[other] += 1
        self.flaky = 0


def _pick(columns: tuple[Sequence[Any], ...], indices: list[int]) -> tuple[Sequence[Any], ...]:
    """The values at ``indices`` of each of ``columns``, as tuples."""
    if len(indices) == 1:  # (itemgetter of one index gives the value, not a tuple)
        return tuple((column[indices[0]],) for column in columns)
    return tuple(map(itemgetter(*indices), columns))


def tally_suites(run: SuiteRun) -> SuiteTallies:
    """Each suite's tests, outcome counts (as the runner counted them) and duration, without
    building a ``TestCase`` for every plain pass. A run can have 100k rows: the per-row work is
    left to ``map``, ``zip`` and ``Counter``, whose loops run in C."""
    names = run.suite_names
    columns = run.columns
    fields = (columns.test_ids, columns.outcomes, columns.durations)
    order = dict.fromkeys(names)
    if len(order) == 1:
        groups = {names[0]: fields}
    else:
        rows: dict[str, list[int]] = {name: [] for name in order}
        # rows[name].append(i) for each row i, then each suite's values picked out of each
        # column by one itemgetter: no tuple per row (and only ints for the collector to see)
        deque(map(list.append, map(rows.__getitem__, names), range(len(names))), maxlen=0)
        groups = {name: _pick(fields, indices) for name, indices in rows.items()}  # type: ignore[misc]
    # Tests the runner counted in other buckets than their outcome (few, if any).
    recount = {
        tid: case.counted_as
        for tid, case in run.details.items()
        if case.counted_as != (case.outcome,)
    }
    out = {name: _Tally(*group, recount) for name, group in groups.items()}
    details = run.details
    flaky = {tid for tid, case in details.items() if case.reruns and case.passed_on_retry}
    if flaky:
        for tally in out.values():
            tally.flaky = sum(map(flaky.__contains__, tally.tids))
    return out


# Each suite's tally (see tally_suites), by suite name in report order.
SuiteTallies = dict[str, _Tally]


def _as_counts(tally: _Tally) -> Counts:
    c = tally.counts
    return Counts(
        passed=c[Outcome.PASSED],
        failed=c[Outcome.FAILED],
        errors=c[Outcome.ERROR],
        skipped=c[Outcome.SKIPPED],
        xfailed=c[Outcome.XFAILED],
        xpassed=c[Outcome.XPASSED],
        flaky=tally.flaky,
    )


def suite_statuses(
    current: SuiteRun,
    baseline: SuiteRun | None = None,
    clusters: Sequence[Cluster] = (),
    diff: RunDiff | None = None,
    vacuous: Sequence[VacuousSignal] = (),
    tallies: SuiteTallies | None = None,
) -> list[SuiteStatus]:
    """One status per suite of ``current``, in report order. ``tallies``: what
    ``tally_suites(current)`` returned, if the caller has it already."""
    base_suites = tally_suites(baseline) if baseline is not None else {}
    base_of_test = {tid: name for name, tally in base_suites.items() for tid in tally.tids}
    new = set(diff.new_failures + diff.failing_added) if diff else set()
    fixed = set(diff.fixed) if diff else set()
    slower = {r.test_id for r in diff.duration_regressions} if diff else set()
    now_skipped = set(diff.newly_skipped) if diff else set()
    cause_of: dict[str, str] = {}
    for cluster in clusters:
        elsewhere = cluster.counted_elsewhere  # (failed first for another cluster's cause)
        tests = (
            filterfalse(set(elsewhere).__contains__, cluster.tests) if elsewhere else cluster.tests
        )
        # (one label for all its tests, set in a C loop: a cluster can hold thousands)
        cause_of.update(dict.fromkeys(tests, category_label(cluster.category)))
    weak_of: dict[str, list[VacuousSignal]] = {}
    if vacuous:
        # (a failing test's session that bypassed auth weakens no pass: its failure is told)
        failing_ids = {t for cluster in clusters for t in cluster.tests}
        for sig in vacuous:
            if sig.subject not in failing_ids:
                weak_of.setdefault(sig.subject, []).append(sig)
    out: list[SuiteStatus] = []
    for name, tally in (tallies if tallies is not None else tally_suites(current)).items():
        tids = tally.tids
        # The baseline suite is whichever suite the same tests were in (names may differ).
        base_names = (
            Counter(base_of_test[t] for t in tids if t in base_of_test) if base_of_test else None
        )
        base = base_suites[base_names.most_common(1)[0][0]] if base_names else None
        failing = compress(tids, map(FAILING.__contains__, tally.outcomes))
        causes = Counter(map(cause_of.get, failing, repeat("?")))
        weak_tests = [name] if name in weak_of else []
        if weak_of:
            weak_tests += filter(weak_of.__contains__, tids)
        weak: Counter[str] = Counter()
        for t in weak_tests:
            for sig in weak_of[t]:
                weak[sig.kind] += sig.tests  # (a suite's signal may stand for several tests)
        out.append(
            SuiteStatus(
                suite=name,
                tests=len(tids),
                counts=_as_counts(tally),
                duration=tally.duration,
                baseline=_as_counts(base) if base is not None else None,
                baseline_tests=len(base.tids) if base is not None else 0,
                passing=tally.passing,
                baseline_passing=base.passing if base is not None else None,
                new_failures=sum(map(new.__contains__, tids)) if new else 0,
                fixed=sum(map(fixed.__contains__, tids)) if fixed else 0,
                slower=sum(map(slower.__contains__, tids)) if slower else 0,
                now_skipped=sum(map(now_skipped.__contains__, tids)) if now_skipped else 0,
                failed_subtests=tally.subtests[0],
                tests_with_failed_subtests=tally.subtests[1],
                causes=tuple(f"{n}× {label}" for label, n in causes.most_common()),
                weak_passes=tuple(_weak_text(kind, n) for kind, n in weak.most_common()),
            )
        )
    return out


_WEAK = {
    VacuousKind.ZERO_MS_NETWORK_PASS: "passed in ~0 ms against a network service",
    VacuousKind.ONLY_SKIPS: "every test skipped",
    VacuousKind.SKIPPED_UNREACHABLE: "skipped: service unreachable",
    VacuousKind.FALLBACK: "fell back to a local stand-in",
    VacuousKind.ZERO_FRAME_RECORDING: "recording with zero frames",
    VacuousKind.AUTH_BYPASS: "auth bypassed (synthetic user)",
    VacuousKind.CONTRACT_BROKEN: "recording breaks the event contract",
    VacuousKind.NEVER_AWAITED: "coroutine never awaited (body never ran)",
    VacuousKind.NO_TESTS: "no tests",
}


def _weak_text(kind: str, n: int) -> str:
    return f"{n}× {_WEAK.get(VacuousKind(kind), kind)}"
