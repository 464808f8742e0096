"""The failing tests of a run by signature, before they become clusters (``clusters``).

A test is in the group of the problem that decided its outcome (``TestCase.primary``), and in
the group of each error of its that came after (pytest's teardown error after a failed call, or
after a set-up error, which pytest counts as an error of its own) whose signature is another:
there as a test of its own with that problem alone, so that the category and phase are read from
it, and listed in ``Group.later``, since it counts with its deciding problem's cluster. Groups of
one test over several parameters that name the parameter are then merged
(``netra_diag.suites.cluster_params``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from itertools import compress
from operator import attrgetter

from netra_diag.suites.cluster_params import parameter_merges
from netra_diag.suites.model import Outcome, Problem, ProblemKind, TestCase
from netra_diag.suites.signatures import Signature, problem_signature

__all__ = ["Group", "group_failures", "later_words"]

_problems_of = attrgetter("problems")
_ERROR = ProblemKind.ERROR
_ERRORED = Outcome.ERROR
_LATER_LISTED = 3  # tests named in words, of those counted with another cluster


class Group:
    """The tests of one signature (or of signatures merged over parameters), in report order
    (those here for a later problem after the others of the signature)."""

    __slots__ = ("cases", "later", "parameters", "runner_phases", "signature")

    def __init__(self, signature: Signature, parameters: str = "") -> None:
        self.signature = signature
        self.parameters = parameters  # why tests over several parameters are one, in words
        self.cases: list[TestCase] = []
        self.runner_phases: list[str] = []  # each test's phase as the runner said
        self.later: list[str] = []  # tests here for a problem after their deciding one

    def add(self, case: TestCase, problem: Problem) -> None:
        self.cases.append(case)
        self.runner_phases.append(problem.phase)


def group_failures(failing: Sequence[TestCase], known: Mapping[str, Signature]) -> dict[str, Group]:
    """The groups of ``failing`` (the run's failing tests) by signature key, in report order.
    ``known``: signatures by test id that the caller has already."""
    groups: dict[str, Group] = {}
    for case in failing:
        problem = case.primary
        if problem is None:
            continue
        sig = known.get(case.test_id) or problem_signature(problem, case.test_id)
        group = groups.get(sig.key)
        if group is None:
            group = groups[sig.key] = Group(sig)
        group.cases.append(case)  # (not group.add: this runs for every failing test)
        group.runner_phases.append(problem.phase)
    # (C loops: most failing tests have one problem, and only the others are looked at)
    for case in compress(failing, map((1).__lt__, map(len, map(_problems_of, failing)))):
        _add_later_problems(case, groups, known)
    return _merged_over_parameters(groups) if len(groups) > 1 else groups


def _add_later_problems(
    case: TestCase, groups: dict[str, Group], known: Mapping[str, Signature]
) -> None:
    """Put each error of ``case`` after its deciding problem in the group of its own signature
    (one whose signature is the deciding problem's is seen there already)."""
    primary = case.primary
    if primary is None:
        return
    test_id = case.test_id
    seen = {(known.get(test_id) or problem_signature(primary, test_id)).key}
    for problem in case.problems:
        if problem is primary or problem.kind is not _ERROR:
            # (a later failure is a subtest's, or pytest's "contains 2 failed subtests" that
            # wraps them: not looked at here)
            continue
        sig = problem_signature(problem, test_id)
        if sig.key in seen:
            continue
        seen.add(sig.key)
        alone = replace(case, outcome=_ERRORED, counted_as=(_ERRORED,), problems=(problem,))
        group = groups.get(sig.key)
        if group is None:
            group = groups[sig.key] = Group(sig)
        group.add(alone, problem)
        group.later.append(test_id)


def _merged_over_parameters(groups: dict[str, Group]) -> dict[str, Group]:
    """``groups`` with those of one test over several parameters merged, each merge where its
    first part was."""
    merges = parameter_merges(
        {key: g.cases for key, g in groups.items()}, {key: g.signature for key, g in groups.items()}
    )
    if not merges:
        return groups
    first_of: dict[str, str] = {}  # each merged group's key -> its merge's first group's key
    made: dict[str, Group] = {}
    for merge in merges:
        first_of.update(dict.fromkeys(merge.keys, merge.keys[0]))
        made[merge.keys[0]] = _joined(merge.signature, merge.words, [groups[k] for k in merge.keys])
    out: dict[str, Group] = {}
    for key, group in groups.items():
        first = first_of.get(key)
        if first is None:
            out[key] = group
        elif first == key:
            out[made[key].signature.key] = made[key]
    return out


def _joined(signature: Signature, words: str, parts: list[Group]) -> Group:
    """One group of ``parts``. (No test is in two of them: its deciding problem and a later one
    of its would have to quote its one parameter alike, and then their signatures are one.)"""
    joined = Group(signature, words)
    for part in parts:
        joined.cases += part.cases
        joined.runner_phases += part.runner_phases
        joined.later += part.later
    return joined


def later_words(group: Group, tests: Sequence[TestCase]) -> tuple[tuple[str, ...], str]:
    """Which of ``tests`` (a cluster of ``group``) count with another cluster, and that in words:
    ``each of its 3 tests had already failed before this error in teardown: each counts with its
    failure's cluster, not here``."""
    if not group.later:
        return (), ""
    marked = set(group.later)
    later = tuple(c.test_id for c in tests if c.test_id in marked)
    if not later:
        return (), ""
    phases = {
        p for c, p in zip(group.cases, group.runner_phases, strict=True) if c.test_id in later
    }
    where = f" in {next(iter(phases))}" if len(phases) == 1 and "" not in phases else ""
    n = len(tests)
    if len(later) == n:
        whose = "its test" if n == 1 else f"each of its {n} tests"
        return later, (
            f"{whose} had already failed before this error{where}: "
            f"{'it' if n == 1 else 'each'} counts with its failure's cluster, not here"
        )
    named = ", ".join(later[:_LATER_LISTED])
    if len(later) > _LATER_LISTED:
        named += f", +{len(later) - _LATER_LISTED} more"
    counts = (
        "it counts with its failure's cluster"
        if len(later) == 1
        else "they count with their failures' clusters"
    )
    return later, (
        f"{len(later)} of its {n} tests ({named}) had already failed before this error{where}: "
        f"{counts}, not here"
    )
