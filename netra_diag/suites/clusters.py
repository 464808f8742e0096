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

from netra_diag.suites.categories import Category, CategoryMatch, categorise
from netra_diag.suites.links import Recording
from netra_diag.suites.model import SuiteRun, TestCase
from netra_diag.suites.phases import Phase, phase_of
from netra_diag.suites.signatures import Signature, signature_of

__all__ = ["Cluster", "cluster_failures"]

_RUNNER_PHASES = frozenset({"collection", "teardown"})


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


def cluster_failures(
    run: SuiteRun, recordings: Mapping[str, Sequence[Recording]] | None = None
) -> list[Cluster]:
    """Clusters of the failing tests of ``run``, biggest first (ties: report order)."""
    groups: dict[str, list[TestCase]] = {}
    sigs: dict[str, Signature] = {}
    for case in run.failing():
        sig = signature_of(case)
        if sig is None:
            continue
        key = sig.key
        if key not in groups:
            groups[key] = []
            sigs[key] = sig
        groups[key].append(case)
    clusters: list[Cluster] = []
    for key, cases in groups.items():
        rep = cases[0]
        match: CategoryMatch = categorise(rep)
        # Same signature, same message and frame: the phase read from them is the same for all,
        # so only tests with a recording (which may say more) are looked at one by one.
        phases: Counter[Phase] = Counter()
        shared = phase_of(rep, match.category)
        for case in cases:
            linked = (recordings or {}).get(case.test_id)
            if linked:
                phases[phase_of(case, match.category, linked[-1])] += 1
            else:
                problem = case.primary
                runner = problem.phase if problem else ""
                phases[Phase(runner) if runner in _RUNNER_PHASES else shared] += 1
        suites = tuple(dict.fromkeys(c.suite for c in cases if c.suite))
        reason = match.reason
        bypassed = sorted(
            {
                r.server_user
                for c in cases
                for r in (recordings or {}).get(c.test_id, ())
                if r.auth_bypass
            }
        )
        if bypassed:
            reason += f"; its recordings show auth bypass (server user {', '.join(bypassed)})"
        clusters.append(
            Cluster(
                signature=sigs[key],
                category=match.category,
                category_reason=reason,
                phase=phases.most_common(1)[0][0],
                tests=tuple(c.test_id for c in cases),
                representative=rep.test_id,
                suites=suites,
            )
        )
    clusters.sort(key=lambda c: -c.size)  # stable: report order among equals
    return clusters
