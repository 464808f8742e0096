"""Group failing tests by signature, so "12 failures" becomes "2 causes".

Each cluster names its §9 category, the phase most of its tests failed in, a representative test
(the first in report order, whose traceback the reader should open) and, in words, why its tests
were grouped. Category and phase are computed once per signature, not per test: every test in a
cluster shares the message and frame they are read from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from netra_diag.closecodes import AUTH_FAILURE_CODES, AUTH_REFUSED_STATUSES
from netra_diag.suites.categories import Category, CategoryMatch, categorise
from netra_diag.suites.links import Recording
from netra_diag.suites.model import SuiteRun, TestCase
from netra_diag.suites.phases import Phase, phase_of
from netra_diag.suites.signatures import Signature, problem_signature

__all__ = ["Cluster", "cluster_failures"]

_RUNNER_PHASES = frozenset({"collection", "teardown"})
_suite_of = attrgetter("suite")
_test_id_of = attrgetter("test_id")


@dataclass(frozen=True, slots=True)
class Cluster:
    signature: Signature
    category: Category
    category_reason: str
    phase: Phase
    tests: tuple[str, ...]
    representative: str
    suites: tuple[str, ...] = ()

    @property
    def size(self) -> int:
        return len(self.tests)

    @property
    def because(self) -> str:
        """Why these tests are one cluster, in words."""
        n = self.size
        lead = "grouped because" if n > 1 else "alone:"
        return f"{lead} {self.signature.describe()}"


_REFUSED = (Category.SECRET_CLAIM_MISMATCH, "the server refused the token: secret or claims")
# Which closes and upgrade statuses refuse credentials is closecodes' to say (the live client
# reads the same sets): a code or status added there is triaged here without a second edit.
_CLOSE_CATEGORY = {
    1011: (Category.INTERNAL_1011, "the server closed with an internal error"),
    **dict.fromkeys(AUTH_FAILURE_CODES, _REFUSED),
}


def _recorded_category(
    cases: Sequence[TestCase], recordings: Mapping[str, Sequence[Recording]]
) -> CategoryMatch | None:
    """The category the tests' own recordings show, when most of those that show one agree."""
    found: Counter[tuple[Category, str]] = Counter()
    for case in cases:
        for rec in reversed(recordings.get(case.test_id, ())):  # the last session first
            shown = _shown_by(rec)
            if shown is not None:
                found[shown] += 1
                break
    if not found:
        return None
    (category, reason), _ = found.most_common(1)[0]
    return CategoryMatch(category, reason)


_UNREACHABLE = (Category.INFRASTRUCTURE, "the service was slow, down or unreachable")


def _shown_by(rec: Recording) -> tuple[Category, str] | None:
    """The category one recording shows by how its session ended, with the reason naming what
    it recorded; ``None`` when it shows none."""
    said = _CLOSE_CATEGORY.get(rec.close_code or 0)
    status = rec.http_status
    if said is not None:
        reason = f" {rec.close_reason}" if rec.close_reason else ""
        (category, why), seen = said, f"closed {rec.close_code}{reason}"
    elif status in AUTH_REFUSED_STATUSES:
        (category, why), seen = _REFUSED, f"HTTP {status} on the upgrade"
        why += " do not match"
    elif status is not None and status >= 500:
        (category, why), seen = _UNREACHABLE, f"HTTP {status} on the upgrade"
    elif status is None and rec.marks and "upgrade_done" not in rec.marks and not rec.frames_in:
        (category, why), seen = _UNREACHABLE, "never connected"
    else:
        return None
    return category, f"{why} (its recording: {seen})"


def cluster_failures(
    run: SuiteRun,
    recordings: Mapping[str, Sequence[Recording]] | None = None,
    *,
    signatures: Mapping[str, Signature] | None = None,
) -> list[Cluster]:
    """Clusters of the failing tests of ``run``, biggest first (ties: report order).
    ``signatures``: those of the failing tests by test id, if the caller has them already
    (``netra_diag.suites.signing.Signing``)."""
    known = signatures or {}
    groups: dict[str, list[TestCase]] = {}
    runner_phases: dict[str, list[str]] = {}  # per group, each test's phase as the runner said
    sigs: dict[str, Signature] = {}
    for case in run.failing():
        problem = case.primary
        if problem is None:
            continue
        sig = known.get(case.test_id) or problem_signature(problem, case.test_id)
        key = sig.key
        cases = groups.get(key)
        if cases is None:
            cases = groups[key] = []
            runner_phases[key] = []
            sigs[key] = sig
        cases.append(case)
        runner_phases[key].append(problem.phase)
    linked_runs = recordings or {}
    clusters: list[Cluster] = []
    for key, cases in groups.items():
        rep = cases[0]
        match: CategoryMatch = categorise(rep)
        if match.category is Category.OTHER and linked_runs:
            # The message says nothing the §9 rules know; the session the test recorded may
            # (the close code the server sent, or no upgrade at all).
            match = _recorded_category(cases, linked_runs) or match
        # Same signature, same message and frame: the phase read from them is the same for all,
        # so only tests with a recording (which may say more) are looked at one by one.
        phases: Counter[Phase] = Counter()
        shared = phase_of(rep, match.category)
        if linked_runs:
            for case in cases:
                linked = linked_runs.get(case.test_id)
                if linked:
                    phases[phase_of(case, match.category, linked[-1])] += 1
                else:
                    problem = case.primary
                    runner = problem.phase if problem else ""
                    phases[Phase(runner) if runner in _RUNNER_PHASES else shared] += 1
        else:
            # Counted per distinct runner phase, in first-seen order: the same Counter (and the
            # same tie-break in most_common) as counting test by test.
            for runner, n in Counter(runner_phases[key]).items():
                phases[Phase(runner) if runner in _RUNNER_PHASES else shared] += n
        suites = tuple(dict.fromkeys(filter(None, map(_suite_of, cases))))
        reason = match.reason
        bypassed = sorted(
            {r.server_user for c in cases for r in linked_runs.get(c.test_id, ()) if r.auth_bypass}
            if linked_runs
            else ()
        )
        if bypassed:
            reason += f"; its recordings show auth bypass (server user {', '.join(bypassed)})"
        clusters.append(
            Cluster(
                signature=sigs[key],
                category=match.category,
                category_reason=reason,
                phase=phases.most_common(1)[0][0],
                tests=tuple(map(_test_id_of, cases)),
                representative=rep.test_id,
                suites=suites,
            )
        )
    clusters.sort(key=lambda c: -c.size)  # stable: report order among equals
    return clusters
