"""Flakiness over a history of runs: passed-on-retry, a transition score, outage suppression.

A test's history is its pass/fail sequence over the runs that ran it (skips are left out). The
transition score is the share of consecutive pairs that flip (0: stable, 1: flips every run).
A test is flaky when it passed on a retry, or flipped at least twice: one flip is a change
(broke and stayed broken, or was fixed), which the baseline diff reports.
A run in which most tests failed for one infrastructure cause (PROTOCOL.md §9.8: the service was
down, cold, refusing) is an *outage*: its failures say nothing about individual tests, so it is
left out of every history instead of marking the whole suite flaky. In a run that is none, the
failures of several tests failing alike with one such cause (a *partial outage*: the service
died after most tests had run) are left out the same way; the run's other tests count.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from netra_diag.suites.categories import Category, categorise, category_label
from netra_diag.suites.history import history_entries, load_history, ordered_history
from netra_diag.suites.history_durations import HistorySlowdown, slower_than_history
from netra_diag.suites.model import FAILING, Outcome, SuiteRun
from netra_diag.suites.renames import renamed_since
from netra_diag.suites.run_order import in_time_order
from netra_diag.suites.signatures import Signature, signature_of
from netra_diag.wording import plural

__all__ = [
    "FlakinessReport",
    "FlakyTest",
    "assess_flakiness",
    "history_entries",
    "is_outage",
    "load_history",
    "ordered_history",
    "outage_failures",
]

_OUTAGE_CATEGORIES = frozenset({Category.INFRASTRUCTURE, Category.INTERNAL_1011})
# Flips of pass/fail that make a test flaky: "PPFFF" broke once and stays broken.
_FLAKY_FLIPS = 2
# Tests failing alike with one infrastructure cause, in a run that is no outage, that make a
# partial outage (the service died after most tests had run): their failures are left out of
# their histories, or each would read as flaky.
_PARTIAL_MIN = 3


@dataclass(frozen=True, slots=True)
class FlakyTest:
    test_id: str
    history: str  # one letter per run that ran it: P pass, F fail/error, R passed on retry
    transitions: int
    score: float
    passed_on_retry: int

    @property
    def runs(self) -> int:
        return len(self.history)


@dataclass(frozen=True, slots=True)
class FlakinessReport:
    runs: int
    outage_runs: tuple[int, ...]
    # Why each outage run was left out (in ``outage_runs``' order), then each partial outage.
    outage_reasons: tuple[str, ...]
    flaky: tuple[FlakyTest, ...]
    # Flaky before, but not in the run the report is for (removed, renamed): nothing to fix
    # there, so neither listed nor counted with ``flaky``.
    no_longer_run: tuple[FlakyTest, ...] = ()
    # Runs, no outage, of which only the failures of several tests alike with one
    # infrastructure cause were left out (their reasons end ``outage_reasons``).
    partial_outages: int = 0
    # Tests of the run the report is for that passed much slower than their earlier passes
    # (``history_durations.slower_than_history``), the most seconds added first.
    slower: tuple[HistorySlowdown, ...] = ()
    # (old test id, test id of this run) for each of ``no_longer_run`` possibly renamed
    # (``renames.renamed_since``: defined at the same file and line); a tuple, so that the
    # report stays hashable.
    renamed: tuple[tuple[str, str], ...] = ()
    # Where the run the report is for sits among ``runs``, in the order they started (0 the
    # oldest; -1 unknown): last, unless a folder of history holds later runs than it.
    this_run: int = -1

    def renamed_to(self, test_id: str) -> str | None:
        """The test of this run that ``test_id`` (of ``no_longer_run``) was possibly renamed
        to, or None."""
        return next((new for old, new in self.renamed if old == test_id), None)

    def unsettled(self) -> dict[str, str]:
        """The letters of the flaky tests whose history goes back and forth (three flips or
        more: "PFPF") or that passed on a retry, by test id: passing now proves no fix. (Two
        flips may be one break and its fix, "PPFFP".)"""
        return {
            f.test_id: f.history
            for f in self.flaky
            if f.transitions > _FLAKY_FLIPS or f.passed_on_retry
        }

    def summary(self) -> str:
        if not self.flaky:
            base = f"no flaky tests over {plural(self.runs, 'run')}"
        else:
            base = f"{plural(len(self.flaky), 'flaky test')} over {plural(self.runs, 'run')}"
        if self.outage_runs:
            base += f"; {plural(len(self.outage_runs), 'outage run')} left out"
        if self.partial_outages:
            base += f"; {plural(self.partial_outages, 'partial outage')} left out"
        if not self.flaky and self.runs - len(self.outage_runs) <= _FLAKY_FLIPS:
            # (a flip there and back takes 3 runs: "no flaky tests" over 2 sounded like a
            # finding; only retries can show in fewer)
            base += f": too few to see a test flip back and forth ({_FLAKY_FLIPS + 1} needed)"
        return base


def is_outage(
    run: SuiteRun, *, threshold: float = 0.5, signatures: Mapping[str, Signature] | None = None
) -> str:
    """Why ``run`` is an outage run (``""`` if it is not): at least ``threshold`` of its tests
    failed with one infrastructure-class category (one or several causes: refused connections
    and 503s alike), and those are most of its failures. ``signatures``: those of the failing
    tests by test id, if the caller has them already."""
    if not _may_be_outage(run, threshold):
        return ""
    found = _outage(run, threshold, signatures)
    return found.reason if found.whole else ""


def outage_failures(run: SuiteRun, *, threshold: float = 0.5) -> tuple[str, frozenset[str]]:
    """Why some failures of ``run`` say nothing about their tests, and which tests: those of an
    outage run (``is_outage``); or, in a run that is none, a *partial outage*: at least
    ``_PARTIAL_MIN`` tests failing alike with one infrastructure cause (the service died
    partway through the run). ``("", frozenset())`` when neither."""
    found = _outage(run, threshold, None)
    return found.reason, found.tests


@dataclass(frozen=True, slots=True)
class _Outage:
    reason: str = ""
    tests: frozenset[str] = frozenset()
    whole: bool = False  # the whole run is left out (else: only ``tests``' failures)


def _may_be_outage(run: SuiteRun, threshold: float) -> bool:
    # (cheap: the run's signatures are only worked out when enough of it failed)
    return bool(run.rows) and len(run.failing()) >= max(2, threshold * len(run.rows))


def _outage(run: SuiteRun, threshold: float, signatures: Mapping[str, Signature] | None) -> _Outage:
    total = len(run.rows)
    failing = run.failing()
    if len(failing) < min(_PARTIAL_MIN, max(2, threshold * total)):
        return _Outage()
    keys: Counter[str] = Counter()
    first: dict[str, Category] = {}
    key_of: dict[str, str] = {}
    for case in failing:
        sig = (signatures or {}).get(case.test_id) or signature_of(case)
        if sig is None:
            continue
        keys[sig.key] += 1
        key_of[case.test_id] = sig.key
        if sig.key not in first:
            first[sig.key] = categorise(case).category
    by_category: dict[Category, list[tuple[str, int]]] = {}
    for key, n in keys.most_common():
        if first[key] in _OUTAGE_CATEGORIES:
            by_category.setdefault(first[key], []).append((key, n))
    if not by_category:
        return _Outage()
    category, causes = max(by_category.items(), key=lambda item: sum(n for _, n in item[1]))
    n = sum(count for _, count in causes)
    whole = n * 2 >= len(failing) and n >= max(2, threshold * total)
    # (most tests must have failed so: 2 of 6 refused, 1 of 6 rejected for its token is
    # no outage, however few the other failures)
    if not whole:
        # a partial outage: a cause that failed several tests alike (one test refused alone
        # may be its own fault, and stays in its history)
        causes = [(key, count) for key, count in causes if count >= _PARTIAL_MIN]
        n = sum(count for _, count in causes)
        if not causes:
            return _Outage()
    cause_keys = {key for key, _ in causes}
    tests = frozenset(tid for tid, key in key_of.items() if key in cause_keys)
    # (named by its category: a server crashing with 1011 is an outage too, but not one of
    # timeouts and refused connections, which is what "infrastructure" means elsewhere)
    label = category_label(category)
    # (a cause without a message, asyncio's bare TimeoutError, is named by its exception)
    messages = [_cause_words(key) for key, _ in causes[:2]]
    if len(causes) == 1:
        reason = f"{n} of {total} tests failed with one cause ({label}): {messages[0]}"
    else:
        # (" / " between the causes: "; " separates a headline's findings, and this is one)
        more = f" (+{len(causes) - 2} more)" if len(causes) > 2 else ""
        reason = f"{n} of {total} tests failed with {label}: {' / '.join(messages)}{more}"
    return _Outage(reason, tests, whole)


def _cause_words(key: str) -> str:
    """A signature key's message ("type|message|frame"), or its exception type when it has
    none, or "no message"."""
    exc_type, message, _ = [*key.split("|", 2), "", ""][:3]
    return message or exc_type or "no message"


def assess_flakiness(
    runs: Sequence[SuiteRun], *, outage_threshold: float = 0.5, min_runs: int = 2
) -> FlakinessReport:
    """Flaky tests across ``runs``: in the order they started when every one says when (as
    ``run_order.in_time_order``; the run being triaged, given last, may be an older one that the
    history folder holds newer runs than), else oldest first as given. ``outage_runs`` are
    indexes into that order. ``flaky`` are the tests of the last run given (the one being
    triaged: a test removed or renamed since is in ``no_longer_run``)."""
    among = frozenset(runs[-1].columns.test_ids) if runs and runs[-1].rows else None
    current = runs[-1] if runs else None
    runs = in_time_order(runs)[0]
    outages: list[int] = []
    reasons: list[str] = []
    histories: dict[str, list[str]] = {}
    retried: Counter[str] = Counter()
    partial: list[str] = []
    for index, run in enumerate(runs):
        outage = _outage(run, outage_threshold, None)
        where = _run_name(run)  # (which run of the history: a reader looks at its log)
        if outage.whole:
            outages.append(index)
            reasons.append(f"{where}: {outage.reason}" if where else outage.reason)
            continue
        if outage.tests:
            left = f"{outage.reason} (a partial outage: those failures are left out)"
            partial.append(f"{where}: {left}" if where else left)
        for row in run.rows:
            if row.outcome in FAILING and row.test_id in outage.tests:
                continue
            if row.outcome in FAILING:
                letter = "F"
            elif row.outcome is Outcome.PASSED:
                letter = "P"
            else:
                continue
            detail = run.details.get(row.test_id)
            if detail is not None and detail.passed_on_retry:
                letter = "R"
                retried[row.test_id] += 1
            histories.setdefault(row.test_id, []).append(letter)
    flaky: list[FlakyTest] = []
    gone: list[FlakyTest] = []
    for tid, letters in histories.items():
        states = ["F" if x == "F" else "P" for x in letters]
        flips = sum(1 for a, b in pairwise(states) if a != b)
        if retried[tid] or (len(states) >= min_runs and flips >= _FLAKY_FLIPS):
            score = flips / (len(states) - 1) if len(states) > 1 else 0.0
            found = FlakyTest(tid, "".join(letters), flips, score, retried[tid])
            (flaky if among is None or tid in among else gone).append(found)
    for tests in (flaky, gone):
        tests.sort(key=lambda f: (-f.score, -f.passed_on_retry, f.test_id))
    slower: tuple[HistorySlowdown, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    position = -1
    if current is not None:
        # (the runs before this one: triaging an older build, the folder holds later ones too,
        # and "slower than its earlier passes" or "renamed since" must not count those)
        position = next(i for i, run in enumerate(runs) if run is current)
        skipped = set(outages)
        earlier = [r for i, r in enumerate(runs[:position]) if i not in skipped]
        slower = slower_than_history(earlier, current)
        renamed = tuple(renamed_since(earlier, current, (f.test_id for f in gone)).items())
    return FlakinessReport(
        len(runs),
        tuple(outages),
        (*reasons, *partial),
        tuple(flaky),
        tuple(gone),
        len(partial),
        slower,
        renamed,
        position,
    )


def _run_name(run: SuiteRun) -> str:
    """The file a run was read from, or the folder of its shards."""
    sources = [str(s) for s in run.sources if s]
    if len(set(sources)) <= 1:
        return sources[0] if sources else ""
    try:
        common = os.path.commonpath(sources)
    except ValueError:  # (paths on different drives, or absolute and relative mixed)
        common = ""
    return common or ", ".join(sources)
