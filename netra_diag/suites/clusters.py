"""Group failing tests by signature, so "12 failures" becomes "2 causes".

Each cluster names its §9 category, the phase most of its tests failed in, a representative test
(the first in report order, whose traceback the reader should open) and, in words, why its tests
were grouped. Category and phase are computed once per signature, not per test: every test in a
cluster shares the message and frame they are read from.

With the tests' recordings linked, what each session showed of the cause (the close code the
server sent, an upgrade refused, no connection at all) is said with the cluster; and where tests
with one signature recorded different causes, the signature is split by recorded cause, so that
"grouped because" does not hide a second cause behind one message.

A test may have more than one problem: pytest reports a failed call followed by a teardown error
(or a set-up error followed by one) as two results of one test, counted in both buckets. The
first decides the test's outcome and its cluster; each later error joins the cluster of its own
signature too, so that a fixture whose teardown breaks after 30 failures is one cluster of 30
(phase "teardown"), not nowhere. Such a test counts with its first problem's cluster:
``Cluster.counted_elsewhere`` names it, and "grouped because" says so. One test's failures over
several parameters that quote the parameter are one cluster (``netra_diag.suites.cluster_params``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import NamedTuple

from netra_diag.closecodes import AUTH_FAILURE_CODES, AUTH_REFUSED_STATUSES
from netra_diag.redaction import scrub_shown
from netra_diag.suites.categories import Category, CategoryMatch, categorise
from netra_diag.suites.cluster_groups import Group, group_failures, later_words
from netra_diag.suites.links import Recording
from netra_diag.suites.model import SuiteRun, TestCase
from netra_diag.suites.phases import Phase, phase_of
from netra_diag.suites.signatures import Signature
from netra_diag.wording import plural

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
    # What the tests' recordings showed of the cause, in words ("" when none was linked).
    recorded: str = ""
    # Tests here for a problem that came after the one that decided their outcome (a teardown
    # error after a failed call): each counts with that first problem's cluster, not here.
    counted_elsewhere: tuple[str, ...] = ()
    # Why tests over several parameters are one cluster, in words ("" when they are not).
    parameters: str = ""
    # That its tests in counted_elsewhere count with another cluster, in words.
    elsewhere_words: str = ""

    @property
    def size(self) -> int:
        return len(self.tests)

    @property
    def counted(self) -> int:
        """How many of its tests this cluster counts: those whose outcome its cause decided. The
        sum over a run's clusters is the number of failing tests, each counted once."""
        return len(self.tests) - len(self.counted_elsewhere)

    @property
    def because(self) -> str:
        """Why these tests are one cluster, in words."""
        n = self.size
        lead = "grouped because" if n > 1 else "alone:"
        said = [self.signature.describe(), self.parameters, self.elsewhere_words, self.recorded]
        said[0] = f"{lead} {said[0]}"
        return "; ".join(filter(None, said))


_REFUSED = (
    Category.SECRET_CLAIM_MISMATCH,
    "the server refused the token: secret or claims do not match",
)
# Which closes and upgrade statuses refuse credentials is closecodes' to say (the live client
# reads the same sets): a code or status added there is triaged here without a second edit.
_CLOSE_CATEGORY = {
    1011: (Category.INTERNAL_1011, "the server closed with an internal error"),
    **dict.fromkeys(AUTH_FAILURE_CODES, _REFUSED),
}
_UNREACHABLE = (Category.INFRASTRUCTURE, "the service was slow, down or unreachable")
_SEEN_LISTED = 3  # what the recordings of one cluster showed, the most frequent first


class _Shown(NamedTuple):
    """The cause one recording shows by how its session ended: the category, why in words,
    and what it recorded (``closed 1011 Internal error``, ``HTTP 403 on the upgrade``)."""

    category: Category
    why: str
    seen: str

    @property
    def reason(self) -> str:
        return f"{self.why} (its recording: {self.seen})"


def _shown_by(rec: Recording) -> _Shown | None:
    """The cause one recording shows, or ``None`` when it shows none."""
    said = _CLOSE_CATEGORY.get(rec.close_code or 0)
    status = rec.http_status
    if said is not None:
        # (the reason is the server's own text: a token it echoes must not be shown)
        reason = f" {scrub_shown(rec.close_reason)}" if rec.close_reason else ""
        return _Shown(*said, f"closed {rec.close_code}{reason}")
    if status in AUTH_REFUSED_STATUSES:
        return _Shown(*_REFUSED, f"HTTP {status} on the upgrade")
    if status is not None and status >= 500:
        return _Shown(*_UNREACHABLE, f"HTTP {status} on the upgrade")
    if status is None and rec.marks and "upgrade_done" not in rec.marks and not rec.frames_in:
        return _Shown(*_UNREACHABLE, "never connected")
    return None


def _case_shows(case: TestCase, recordings: Mapping[str, Sequence[Recording]]) -> _Shown | None:
    """The cause a test's recordings show: its last session's that shows one."""
    for rec in reversed(recordings.get(case.test_id, ())):
        shown = _shown_by(rec)
        if shown is not None:
            return shown
    return None


def _recorded_category(shows: Sequence[_Shown | None]) -> CategoryMatch | None:
    """The category the tests' own recordings show, when most of those that show one agree."""
    found = Counter((s.category, s.reason) for s in shows if s is not None)
    if not found:
        return None
    (category, reason), _ = found.most_common(1)[0]
    return CategoryMatch(category, reason)


_Part = tuple[list[TestCase], list[_Shown | None]]


def _by_recorded_cause(cases: list[TestCase], shows: list[_Shown | None]) -> list[_Part]:
    """The tests of one signature, apart by the cause their recordings show when they show more
    than one (in the order of each part's first test). Tests whose recordings show no cause, or
    who have none, are a part of their own then: which of the recorded causes is theirs cannot
    be told. With one recorded cause or none, the signature stays one cluster."""
    first = next((s.category for s in shows if s is not None), None)
    if first is None or all(s is None or s.category is first for s in shows):
        return [(cases, shows)]
    parts: dict[Category | None, _Part] = {}
    for case, shown in zip(cases, shows, strict=True):
        tests, part_shows = parts.setdefault(shown.category if shown else None, ([], []))
        tests.append(case)
        part_shows.append(shown)
    return list(parts.values())


def _recorded_words(shows: Sequence[_Shown | None], parts: int, linked: bool) -> str:
    """What a cluster's recordings showed, for its "grouped because": ``their recordings: closed
    1008 Authentication failed ×2, HTTP 403 on the upgrade``; ``""`` when they showed no cause and
    the signature is one cluster (a bypass, say, is the category's to tell)."""
    seen = Counter(s.seen for s in shows if s is not None)
    showing = sum(seen.values())
    if not showing and parts == 1:
        return ""
    said = (
        f"{_whose(len(shows), showing)}: {_listed(seen)}" if showing else _none_shown(shows, linked)
    )
    if parts > 1:
        said += f" (one of {parts} clusters of this signature, apart by recorded cause)"
    return said


def _whose(n: int, showing: int) -> str:
    """Whose recordings showed a cause: all ``n`` tests' or ``showing`` of them."""
    if showing < n:
        return f"the recordings of {showing} of its {plural(n, 'test')}"
    return "its recording" if n == 1 else "their recordings"


def _none_shown(shows: Sequence[_Shown | None], linked: bool) -> str:
    if linked:
        return "no recording shows a cause"
    return "no recording" if len(shows) == 1 else "none of its tests has a recording"


def _listed(seen: Counter[str]) -> str:
    """``closed 1008 Authentication failed ×2, HTTP 403 on the upgrade``, the most seen first."""
    listed = [f"{what} ×{k}" if k > 1 else what for what, k in seen.most_common(_SEEN_LISTED)]
    if len(seen) > _SEEN_LISTED:
        listed.append(f"+{len(seen) - _SEEN_LISTED} more")
    return ", ".join(listed)


def cluster_failures(
    run: SuiteRun,
    recordings: Mapping[str, Sequence[Recording]] | None = None,
    *,
    signatures: Mapping[str, Signature] | None = None,
) -> list[Cluster]:
    """Clusters of the failing tests of ``run``, biggest first (ties: report order, a cluster
    counting all its tests first). ``recordings``: the tests' recordings by test id
    (``link_recordings``); a signature whose tests recorded different causes is one cluster per
    recorded cause. ``signatures``: those of the failing tests by test id, if the caller has
    them already (``netra_diag.suites.signing.Signing``)."""
    groups = group_failures(run.failing(), signatures or {})
    linked_runs = recordings or {}
    clusters: list[Cluster] = []
    for group in groups.values():
        if not linked_runs:
            clusters.append(_unrecorded_cluster(group))
            continue
        later = frozenset(group.later)
        # (a later problem's cause is not what the test's recording shows: that is its first's)
        shows = [
            None if case.test_id in later else _case_shows(case, linked_runs)
            for case in group.cases
        ]
        parts = _by_recorded_cause(group.cases, shows)
        for part, part_shows in parts:
            clusters.append(
                _recorded_cluster(group, part, part_shows, linked_runs, len(parts), later)
            )
    # stable: report order among equals, where a cluster that counts all its tests goes first
    clusters.sort(key=lambda c: (-c.size, bool(c.counted_elsewhere)))
    return clusters


def _unrecorded_cluster(group: Group) -> Cluster:
    """One signature's cluster, read from the report alone."""
    cases, runner_phases = group.cases, group.runner_phases
    rep = cases[0]
    match = categorise(rep)
    # Same signature, same message and frame: the phase read from them is the same for all.
    # Counted per distinct runner phase, in first-seen order: the same Counter (and the same
    # tie-break in most_common) as counting test by test.
    shared = phase_of(rep, match.category)
    phases: Counter[Phase] = Counter()
    for runner, n in Counter(runner_phases).items():
        phases[Phase(runner) if runner in _RUNNER_PHASES else shared] += n
    return _cluster(group, cases, match, phases)


def _recorded_cluster(
    group: Group,
    cases: list[TestCase],
    shows: list[_Shown | None],
    linked_runs: Mapping[str, Sequence[Recording]],
    parts: int,
    later: frozenset[str],
) -> Cluster:
    """One cluster of a signature whose tests' recordings are linked: ``shows`` is what each
    test's recordings show of the cause; ``parts`` how many clusters the signature became.
    ``later``: tests here for a problem after their deciding one, whose recordings are not
    looked at (they show what the deciding one did)."""
    rep = cases[0]
    match: CategoryMatch = categorise(rep)
    if match.category is Category.OTHER:
        # The message says nothing the §9 rules know; the session the test recorded may
        # (the close code the server sent, or no upgrade at all).
        match = _recorded_category(shows) or match
    # Only tests with a recording (which may say more) are looked at one by one.
    shared = phase_of(rep, match.category)
    phases: Counter[Phase] = Counter()
    for case in cases:
        linked = None if case.test_id in later else linked_runs.get(case.test_id)
        if linked:
            phases[phase_of(case, match.category, linked[-1])] += 1
        else:
            problem = case.primary
            runner = problem.phase if problem else ""
            phases[Phase(runner) if runner in _RUNNER_PHASES else shared] += 1
    reason = match.reason
    looked_at = [c.test_id for c in cases if c.test_id not in later]
    bypassed = sorted(
        {r.server_user for t in looked_at for r in linked_runs.get(t, ()) if r.auth_bypass}
    )
    if bypassed:
        reason += f"; its recordings show auth bypass (server user {', '.join(bypassed)})"
    any_linked = any(linked_runs.get(t) for t in looked_at)
    recorded = _recorded_words(shows, parts, any_linked)
    return _cluster(group, cases, CategoryMatch(match.category, reason), phases, recorded)


def _cluster(
    group: Group,
    cases: list[TestCase],
    match: CategoryMatch,
    phases: Counter[Phase],
    recorded: str = "",
) -> Cluster:
    later, later_said = later_words(group, cases)
    return Cluster(
        signature=group.signature,
        category=match.category,
        category_reason=match.reason,
        phase=phases.most_common(1)[0][0],
        tests=tuple(map(_test_id_of, cases)),
        representative=cases[0].test_id,
        suites=tuple(dict.fromkeys(filter(None, map(_suite_of, cases)))),
        recorded=recorded,
        counted_elsewhere=later,
        parameters=group.parameters,
        elsewhere_words=later_said,
    )
