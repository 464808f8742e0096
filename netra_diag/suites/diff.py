"""Compare a run with a baseline: what is new, fixed, still failing, newly flaky, gone, slower."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from netra_diag.suites.flaky import outage_failures
from netra_diag.suites.model import FAILING, Outcome, SuiteRun
from netra_diag.suites.renames import possible_renames
from netra_diag.suites.signatures import signature_of

__all__ = ["SWAPPED_AFTER_S", "DurationRegression", "RunDiff", "diff_runs"]

# A baseline that started this long after the run it is compared with was more likely given in
# the run's place (RESULTS and --baseline swapped) than chosen: said, not acted on. (Runs made
# one after the other, as test fixtures are, start seconds apart.)
SWAPPED_AFTER_S = 600.0


@dataclass(frozen=True, slots=True)
class DurationRegression:
    test_id: str
    before: float
    after: float

    @property
    def factor(self) -> float:
        return self.after / self.before if self.before > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class RunDiff:
    """Test ids by how they changed between ``baseline`` and ``current``.

    ``new_failures`` failed now and ran without failing in the baseline (regressions);
    ``failing_added`` failed now and were not in the baseline at all; ``fixed`` failed in the
    baseline and pass now; ``cause_changed`` still fail, with a different signature;
    ``removed`` are baseline tests absent now. A test that passes now only on a retry is not
    ``fixed``: it is flaky (``newly_flaky``).

    ``baseline_outage``: why the baseline was an outage run, or had a partial one
    (``flaky.outage_failures``), else "". Its failures with the outage's cause say nothing of
    those tests: failing now for another cause is a new failure (not "still failing for a new
    cause", which would hide a regression behind the outage), passing now is no fix.
    """

    new_failures: tuple[str, ...] = ()
    failing_added: tuple[str, ...] = ()
    cause_changed: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    still_failing: tuple[str, ...] = ()
    newly_flaky: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    newly_skipped: tuple[str, ...] = ()
    duration_regressions: tuple[DurationRegression, ...] = ()
    baseline_outage: str = ""
    # (removed, added) pairs defined at the same place: perhaps one test renamed
    # (``renames.possible_renames``); both stay in ``removed`` and ``added``.
    possibly_renamed: tuple[tuple[str, str], ...] = ()
    # Seconds the baseline started after this run, as their reports say (0.0: before, or
    # unknown). Hours later: the two given the wrong way round? (``SWAPPED_AFTER_S``)
    baseline_later_s: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(
            self.new_failures
            or self.failing_added
            or self.cause_changed
            or self.fixed
            or self.newly_flaky
            or self.newly_skipped
            or self.removed
            or self.added
        )

    @property
    def any_new_failures(self) -> bool:
        """Regressions or failing tests the baseline did not have: what fails CI."""
        return bool(self.new_failures or self.failing_added)


def diff_runs(
    baseline: SuiteRun,
    current: SuiteRun,
    *,
    slower_factor: float = 2.0,
    slower_min_seconds: float = 1.0,
) -> RunDiff:
    """Diff two runs by ``test_id``.

    A duration regression is a test that takes ``slower_factor`` times as long as before *and*
    at least ``slower_min_seconds`` longer, so jitter on millisecond tests is not reported; only
    tests that passed in the baseline count (one that failed there, at set-up or in an outage,
    says nothing of how long it takes).
    """
    before = {row.test_id: row for row in baseline.rows}
    outage, unknown = outage_failures(baseline)
    # (the current run an outage of the same cause too: those tests are still failing)
    still_down = outage_failures(current)[1] if unknown else frozenset()
    new_failures: list[str] = []
    failing_added: list[str] = []
    fixed: list[str] = []
    still: list[str] = []
    added: list[str] = []
    skipped: list[str] = []
    slower: list[DurationRegression] = []
    seen: set[str] = set()
    for row in current.rows:
        tid = row.test_id
        seen.add(tid)
        old = before.get(tid)
        failing = row.outcome in FAILING
        if old is None:
            added.append(tid)
            if failing:
                failing_added.append(tid)
            continue
        was_failing = old.outcome in FAILING
        if tid in unknown and not (failing and tid in still_down):
            if failing:
                new_failures.append(tid)
        elif failing and not was_failing:
            new_failures.append(tid)
        elif failing:
            still.append(tid)
        elif was_failing and row.outcome is Outcome.PASSED:
            if not _passed_on_retry(current, tid):
                fixed.append(tid)
        elif was_failing or (old.outcome is Outcome.PASSED and row.outcome is Outcome.SKIPPED):
            skipped.append(tid)  # a failure that now skips is not a fix
        if (
            old.outcome is Outcome.PASSED  # (a test that errored at set-up took no time)
            and row.duration is not None
            and old.duration is not None
            and row.duration >= old.duration * slower_factor
            and row.duration - old.duration >= slower_min_seconds
        ):
            slower.append(DurationRegression(tid, old.duration, row.duration))
    flaky_before = {c.test_id for c in baseline.details.values() if c.passed_on_retry}
    newly_flaky = tuple(
        c.test_id
        for c in current.details.values()
        if c.passed_on_retry and c.test_id not in flaky_before
    )
    removed = tuple(tid for tid in before if tid not in seen)
    changed_cause = []
    for tid in still:
        old_case, new_case = baseline.details.get(tid), current.details.get(tid)
        if old_case is None or new_case is None:
            continue
        old_sig, new_sig = signature_of(old_case), signature_of(new_case)
        if old_sig and new_sig and old_sig.key != new_sig.key:
            changed_cause.append(tid)
    slower.sort(key=lambda r: -(r.after - r.before))
    renamed = possible_renames(baseline, current, removed, added) if removed and added else ()
    return RunDiff(
        new_failures=tuple(new_failures),
        failing_added=tuple(failing_added),
        cause_changed=tuple(changed_cause),
        fixed=tuple(fixed),
        still_failing=tuple(still),
        newly_flaky=newly_flaky,
        removed=removed,
        added=tuple(added),
        newly_skipped=tuple(skipped),
        duration_regressions=tuple(slower),
        baseline_outage=outage,
        possibly_renamed=renamed,
        baseline_later_s=_later_by(baseline.started, current.started),
    )


def _later_by(first: str, second: str) -> float:
    """Seconds stamp ``first`` is after ``second`` (0.0 if not, or if either cannot be read or
    they cannot be compared: one with a time zone, one without)."""
    try:
        a, b = datetime.fromisoformat(first.strip()), datetime.fromisoformat(second.strip())
        return max(0.0, (a - b).total_seconds())
    except (ValueError, TypeError):  # ("" or no stamp; naive against aware)
        return 0.0


def _passed_on_retry(run: SuiteRun, test_id: str) -> bool:
    case = run.details.get(test_id)
    return case is not None and case.passed_on_retry
