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
from itertools import compress, repeat
from operator import add, attrgetter

from netra_diag.suites.categories import category_label
from netra_diag.suites.clusters import Cluster
from netra_diag.suites.diff import RunDiff
from netra_diag.suites.model import FAILING, CaseRow, Counts, Outcome, SuiteRun, TestCase
from netra_diag.suites.vacuous import VacuousKind, VacuousSignal

__all__ = ["SuiteStatus", "suite_statuses"]


_test_id_of = attrgetter("test_id")
_outcome_of = attrgetter("outcome")
_duration_of = attrgetter("duration")
_NOT_PASSED = frozenset(Outcome) - {Outcome.PASSED}


@dataclass(frozen=True, slots=True)
class SuiteStatus:
    suite: str
    tests: int
    counts: Counts
    duration: float
    baseline: Counts | None = None
    baseline_tests: int = 0
    new_failures: int = 0
    fixed: int = 0
    causes: tuple[str, ...] = ()
    weak_passes: tuple[str, ...] = ()

    @property
    def pass_rate(self) -> float | None:
        return self.counts.passed / self.tests if self.tests else None

    @property
    def failing(self) -> int:
        return self.counts.failed + self.counts.errors

    def current_text(self) -> str:
        rate = self.pass_rate
        pct = f" ({rate * 100:.0f} %)" if rate is not None else ""
        extra = [
            f"{n} {word}"
            for n, word in (
                (self.counts.failed, "failed"),
                (self.counts.errors, "errors" if self.counts.errors != 1 else "error"),
                (self.counts.skipped, "skipped"),
            )
            if n
        ]
        more = f"; {', '.join(extra)}" if extra else ""
        return f"{self.counts.passed}/{self.tests} pass{pct}{more}"

    def baseline_text(self) -> str:
        if self.baseline is None:
            return "unknown (not in baseline)"
        return f"{self.baseline.passed}/{self.baseline_tests} pass"

    def change_text(self) -> str:
        if self.baseline is None:
            return "no baseline"
        parts = []
        if self.new_failures:
            parts.append(f"{self.new_failures} new failure(s)")
        if self.fixed:
            parts.append(f"{self.fixed} fixed")
        if self.tests != self.baseline_tests:
            parts.append(f"{self.tests - self.baseline_tests:+d} tests")
        return ", ".join(parts) or "no change"


class _Tally:
    __slots__ = ("counts", "duration", "flaky", "outcomes", "tids")

    def __init__(self, rows: list[CaseRow], details: Mapping[str, TestCase]) -> None:
        self.tids: list[str] = list(map(_test_id_of, rows))
        self.outcomes: list[Outcome] = list(map(_outcome_of, rows))
        durations = list(map(_duration_of, rows))
        if None in durations:
            durations = [d or 0.0 for d in durations]
        # One by one, in order, like a loop of += (sum() may round differently).
        self.duration: float = reduce(add, durations, 0.0)
        # As the runner counted: a failing or skipped test's details may count it twice.
        counts = self.counts = Counter(self.outcomes)
        for row in compress(rows, map(_NOT_PASSED.__contains__, self.outcomes)):
            case = details.get(row.test_id)
            if case is not None and case.counted_as != (row.outcome,):
                counts[row.outcome] -= 1
                for outcome in case.counted_as:  # Counter.update is slow for tiny iterables
                    counts[outcome] += 1
        self.flaky = 0


def _per_suite(run: SuiteRun) -> dict[str, _Tally]:
    """Each suite's tests, outcome counts (as the runner counted them) and duration, without
    building a ``TestCase`` for every plain pass. A run can have 100k rows: the per-row work is
    left to ``map`` and ``Counter``, whose loops run in C."""
    names = run.suite_names
    groups: dict[str, list[CaseRow]] = {name: [] for name in dict.fromkeys(names)}
    if len(groups) == 1:
        groups[names[0]] = list(run.rows)
    else:  # groups[name].append(row) for each row
        deque(map(list.append, map(groups.__getitem__, names), run.rows), maxlen=0)
    details = run.details
    out = {name: _Tally(rows, details) for name, rows in groups.items()}
    flaky = {tid for tid, case in details.items() if case.reruns and case.passed_on_retry}
    if flaky:
        for tally in out.values():
            tally.flaky = sum(map(flaky.__contains__, tally.tids))
    return out


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
) -> list[SuiteStatus]:
    """One status per suite of ``current``, in report order."""
    base_suites = _per_suite(baseline) if baseline is not None else {}
    base_of_test = {tid: name for name, tally in base_suites.items() for tid in tally.tids}
    new = set(diff.new_failures + diff.failing_added) if diff else set()
    fixed = set(diff.fixed) if diff else set()
    cause_of: dict[str, str] = {}
    for cluster in clusters:
        for tid in cluster.tests:
            cause_of[tid] = category_label(cluster.category)
    weak_of: dict[str, list[str]] = {}
    for sig in vacuous:
        weak_of.setdefault(sig.subject, []).append(sig.kind)
    out: list[SuiteStatus] = []
    for name, tally in _per_suite(current).items():
        tids = tally.tids
        # The baseline suite is whichever suite the same tests were in (names may differ).
        base_names = Counter(base_of_test[t] for t in tids if t in base_of_test)
        base = base_suites[base_names.most_common(1)[0][0]] if base_names else None
        failing = compress(tids, map(FAILING.__contains__, tally.outcomes))
        causes = Counter(map(cause_of.get, failing, repeat("?")))
        weak_tests = [name] if name in weak_of else []
        if weak_of:
            weak_tests += filter(weak_of.__contains__, tids)
        weak = Counter(kind for t in weak_tests for kind in weak_of[t])
        out.append(
            SuiteStatus(
                suite=name,
                tests=len(tids),
                counts=_as_counts(tally),
                duration=tally.duration,
                baseline=_as_counts(base) if base is not None else None,
                baseline_tests=len(base.tids) if base is not None else 0,
                new_failures=sum(map(new.__contains__, tids)) if new else 0,
                fixed=sum(map(fixed.__contains__, tids)) if fixed else 0,
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
    VacuousKind.NO_TESTS: "no tests",
}


def _weak_text(kind: str, n: int) -> str:
    return f"{n}× {_WEAK.get(VacuousKind(kind), kind)}"
