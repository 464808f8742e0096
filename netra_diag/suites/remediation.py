"""The per-suite remediation table (PROTOCOL.md §10), regenerated from results instead of prose.

One row per suite: tests, baseline and current pass counts, duration, what changed since the
baseline, the causes of its failures (from the clusters) and what makes its passes weak. Pass,
fail, error and skip stay separate: "17/26 functioning" is the blur this table exists to replace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from netra_diag.suites.categories import category_label
from netra_diag.suites.clusters import Cluster
from netra_diag.suites.diff import RunDiff
from netra_diag.suites.model import FAILING, Counts, SuiteRun
from netra_diag.suites.vacuous import VacuousKind, VacuousSignal

__all__ = ["SuiteStatus", "suite_statuses"]


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


def _per_suite(run: SuiteRun) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row, suite in zip(run.rows, run.suite_names, strict=True):
        out.setdefault(suite, []).append(row.test_id)
    return out


def suite_statuses(
    current: SuiteRun,
    baseline: SuiteRun | None = None,
    clusters: Sequence[Cluster] = (),
    diff: RunDiff | None = None,
    vacuous: Sequence[VacuousSignal] = (),
) -> list[SuiteStatus]:
    """One status per suite of ``current``, in report order."""
    rows = current.row_by_id
    base_suites = _per_suite(baseline) if baseline is not None else {}
    base_of_test = {tid: name for name, tids in base_suites.items() for tid in tids}
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
    for name, tids in _per_suite(current).items():
        mine = [rows[t] for t in tids]
        # The baseline suite is whichever suite the same tests were in (names may differ).
        base_names = Counter(base_of_test[t] for t in tids if t in base_of_test)
        base_name = base_names.most_common(1)[0][0] if base_names else None
        base_tids = base_suites.get(base_name, []) if base_name is not None else []
        causes = Counter(cause_of.get(r.test_id, "?") for r in mine if r.outcome in FAILING)
        weak = Counter(k for t in (name, *tids) for k in weak_of.get(t, ()))
        out.append(
            SuiteStatus(
                suite=name,
                tests=len(mine),
                counts=_counts(current, tids),
                duration=sum(r.duration or 0.0 for r in mine),
                baseline=_counts(baseline, base_tids) if baseline and base_tids else None,
                baseline_tests=len(base_tids),
                new_failures=sum(1 for t in tids if t in new),
                fixed=sum(1 for t in tids if t in fixed),
                causes=tuple(f"{n}× {label}" for label, n in causes.most_common()),
                weak_passes=tuple(_weak_text(kind, n) for kind, n in weak.most_common()),
            )
        )
    return out


def _counts(run: SuiteRun, tids: Sequence[str]) -> Counts:
    """Counts of some tests of ``run`` without building a ``TestCase`` for every plain pass."""
    by_id = run.row_by_id
    rows = [by_id[t] for t in tids]
    return SuiteRun(
        rows=tuple(rows), details={t: run.details[t] for t in tids if t in run.details}
    ).counts


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
