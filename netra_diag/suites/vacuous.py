"""Passes that prove little (PROTOCOL.md §9.9): a pass rate counts them, triage must not.

Signals, each with what it was seen on:

- a suite (or the whole run) where every test skipped, and skips because staging was unreachable;
- a test that passed in about 0 ms although its name says it talks to a network service;
- a passing test whose output says it fell back to an in-memory or loopback stand-in;
- a recording with zero frames, and a recording whose server user id is a synthetic one
  (``demo-user-001``, ``relaxed_*``, ``emergency_*``): the token was never validated;
- a passing test whose coroutine was never awaited (pytest-json-report's warnings: an
  ``async def`` test in a unittest class): its body never ran;
- a passing test whose recording breaks the event contract (a critical event never sent, events
  out of order): the test did not check what the service owes every client.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import compress, repeat
from math import inf
from operator import attrgetter, ge, itemgetter, lt

from netra_diag.suites.links import BYPASS_USER_IN_TEXT, Recording
from netra_diag.suites.model import Outcome, ProblemKind, SuiteRun, TestCase
from netra_diag.suites.network_names import NetworkHint, network_hint
from netra_diag.suites.pytest_json import NEVER_AWAITED_PROPERTY
from netra_diag.wording import plural

__all__ = [
    "RUN_SUBJECT",
    "VACUOUS_LABELS",
    "VacuousKind",
    "VacuousSignal",
    "find_vacuous",
]

# The subject of a signal about the whole run, not one suite or test (as in to_dict's "subject").
RUN_SUBJECT = "(run)"

# A test taking this long has done more than compute: its class talks to something.
_NETWORK_TIME_S = 0.05
_UNREACHABLE = re.compile(
    r"unreachable|not available|unavailable|not running|cannot connect|could not connect|"
    r"no staging|offline|connection refused|skip.*(?:staging|network|service)",
    re.I,
)
_FALLBACK = re.compile(
    r"fall(?:ing|s)? ?back.{0,60}(?:in-memory|in memory|loopback|mock|stub|local)"
    r"|(?:mock|stub|in-memory) (?:server|websocket|connection)",
    re.I,
)


# A passing test's captured output naming a synthetic user of permissive auth
# (links.BYPASS_USER_IN_TEXT): ``VacuousSignal.detail`` of such a signal starts with
# OUTPUT_SAYS (the others come from recordings).
OUTPUT_SAYS = "its output names"

_SKIPPY = frozenset({Outcome.SKIPPED, Outcome.XFAILED})
_RAN = frozenset(Outcome) - _SKIPPY
_MODULE_SKIP = "collection skipped"
# Enum members named once: looking one up on its class costs Python 3.11 most of a microsecond,
# which the loops below would pay per row or per test.
_PASSED = Outcome.PASSED
_SKIPPED = Outcome.SKIPPED
_XFAILED = Outcome.XFAILED


def _none_ran(size: int, xfailed: int) -> str:
    """'all 3 tests skipped', or xfailed, or both, as they were: an expected failure is no
    skip, though it proves as little."""
    every = "the one test" if size == 1 else f"all {size} tests"
    if not xfailed:
        return f"{every} skipped"
    if xfailed == size:
        return f"{every} xfailed"
    return f"{every} skipped or xfailed ({size - xfailed} skipped, {xfailed} xfailed)"


_SKIP = ProblemKind.SKIPPED
_STRONG = NetworkHint.STRONG
_WEAK = NetworkHint.WEAK
_properties_of = attrgetter("properties")
_first = itemgetter(0)


@lru_cache(maxsize=1024)  # the skips of one cause share their message
def _says_unreachable(message: str) -> bool:
    return _UNREACHABLE.search(message) is not None


def _skipped_unreachable(case: TestCase) -> bool:
    """Whether ``case`` skipped because the service was unreachable (or not configured)."""
    # (a plain loop, not any() over a generator: a third of the time, for thousands of skips)
    for p in case.problems:
        # (pytest's JUnit calls a module that skipped itself "collection skipped", with the
        # reason in the text)
        if p.kind is _SKIP and _says_unreachable(
            p.message if p.message != _MODULE_SKIP else p.text[:500]
        ):
            return True
    return False


class VacuousKind(StrEnum):
    NO_TESTS = "no_tests"
    ONLY_SKIPS = "only_skips"
    SKIPPED_UNREACHABLE = "skipped_unreachable"
    ZERO_MS_NETWORK_PASS = "zero_ms_network_pass"
    FALLBACK = "fallback"
    ZERO_FRAME_RECORDING = "zero_frame_recording"
    AUTH_BYPASS = "auth_bypass"
    CONTRACT_BROKEN = "contract_broken"
    NEVER_AWAITED = "never_awaited"


# What each kind is called where a reader sees it (the kind's value is for JSON and scripts).
VACUOUS_LABELS: dict[VacuousKind, str] = {
    VacuousKind.NO_TESTS: "no tests",
    VacuousKind.ONLY_SKIPS: "only skips",
    VacuousKind.SKIPPED_UNREACHABLE: "skipped, no service to test",
    VacuousKind.ZERO_MS_NETWORK_PASS: "~0 ms pass",
    VacuousKind.FALLBACK: "fell back to a fake",
    VacuousKind.ZERO_FRAME_RECORDING: "empty recording",
    VacuousKind.AUTH_BYPASS: "auth bypassed",
    VacuousKind.CONTRACT_BROKEN: "contract broken",
    VacuousKind.NEVER_AWAITED: "never awaited",
}


@dataclass(frozen=True, slots=True)
class VacuousSignal:
    kind: VacuousKind
    subject: str  # a suite name or a test id
    detail: str
    tests: int = 1  # the tests it is said of (a suite's: its skips for want of a service)


# The JUnit property the pytest plugin writes for each test that ran a session (the events seen).
EVENTS_PROPERTY = "netra_events"


def _network_classes(
    run: SuiteRun, recordings: Mapping[str, Sequence[Recording]], classnames: set[str]
) -> set[str]:
    """Which of ``classnames`` have a test that took network time (``_NETWORK_TIME_S``, whatever
    its outcome: a test timing out took it too) or that talked to the service (``_talked``)."""
    columns = run.columns
    durations = columns.durations
    if None in durations:
        durations = [0.0 if d is None else d for d in durations]  # (no time is no network time)
    # The rows that took time are picked out in a C loop (a run can have 100k; no None is left
    # to compare); the search ends once each class asked about has one, most often early on.
    took_time = map(ge, durations, repeat(_NETWORK_TIME_S))  # type: ignore[arg-type]
    found: set[str] = set()
    left = set(classnames)
    for classname in compress(columns.classnames, took_time):
        if classname in left:
            found.add(classname)
            left.discard(classname)
            if not left:
                return found
    # Only a test with properties or recordings can show that it talked: those few are looked
    # at one by one, not every failure the details hold.
    details = run.details
    candidates = [*compress(details, map(_properties_of, details.values())), *recordings]
    talked = _talked(run, recordings, candidates)
    if talked:  # (the index of the rows costs a 100k-test run 30 ms: only built when needed)
        rows = run.row_by_id
        for tid in talked:
            if (row := rows.get(tid)) is not None and row.classname in left:
                found.add(row.classname)
    return found


def _talked(
    run: SuiteRun, recordings: Mapping[str, Sequence[Recording]], test_ids: Sequence[str]
) -> set[str]:
    """Which of ``test_ids`` the pytest plugin saw talk to the service: events in their
    ``netra_events`` property, or a linked recording with frames. pytest's call time leaves out
    the fixture that connected, so their ~0 ms says nothing (a 4 ms loopback session was "too
    fast", or not, run to run)."""
    found = set()
    details = run.details
    for tid in test_ids:
        recs = recordings.get(tid, ())
        case = details.get(tid)
        if any(r.frames for r in recs) or (
            case is not None
            and any(name == EVENTS_PROPERTY and value for name, value in case.properties)
        ):
            found.add(tid)
    return found


def find_vacuous(
    run: SuiteRun,
    recordings: Mapping[str, Sequence[Recording]] | None = None,
    *,
    zero_ms: float = 0.005,
) -> list[VacuousSignal]:
    """Every vacuous-pass signal in ``run`` (and its linked recordings), suites first."""
    out: list[VacuousSignal] = []
    if not run.rows:
        return [VacuousSignal(VacuousKind.NO_TESTS, RUN_SUBJECT, "the results contain no tests")]
    # Per-row work in C loops (map, Counter, compress): a run can have 100k rows.
    names = run.suite_names
    columns = run.columns
    outcomes = columns.outcomes
    # The skipped and xfailed rows with their suites and ids, picked out in one C loop over the
    # rows (zip's tuple for a row left out is used again, not built anew): they are few.
    skippy = list(
        compress(
            zip(names, columns.test_ids, outcomes, strict=True), map(_SKIPPY.__contains__, outcomes)
        )
    )
    if len(skippy) == len(run.rows):
        xfailed = sum(1 for _, _, outcome in skippy if outcome is _XFAILED)
        out.append(
            VacuousSignal(
                VacuousKind.ONLY_SKIPS,
                RUN_SUBJECT,
                _none_ran(len(run.rows), xfailed) + ": nothing ran",
            )
        )
    elif skippy:
        # A suite whose tests all skipped is one that no row that ran names. Rows that ran name
        # most suites within their first few, and the search ends once each suite that skipped
        # has been named (not a count of every row's suite: a run can have 100k rows).
        # Such a suite's first row is a skipped one: skips' first-seen order is report order.
        skips = Counter(map(_first, skippy))
        untested = set(skips)
        for name in compress(names, map(_RAN.__contains__, outcomes)):
            if name in untested:
                untested.discard(name)
                if not untested:
                    break
        xfails = Counter(name for name, _, outcome in skippy if outcome is _XFAILED)
        for name, size in skips.items():
            if name in untested:
                said = _none_ran(size, xfails[name])
                out.append(VacuousSignal(VacuousKind.ONLY_SKIPS, name, said))
    # Tests skipped for want of a service, found among the skipped rows (most details are
    # failures). One signal per suite, counting its tests: the suite table said "1× skipped:
    # service unreachable" of the first such test's suite alone, however many skipped where.
    details = run.details
    by_suite = Counter(
        name
        for name, tid, outcome in skippy
        if outcome is _SKIPPED and (c := details.get(tid)) is not None and _skipped_unreachable(c)
    )
    if by_suite:
        out += [
            VacuousSignal(
                VacuousKind.SKIPPED_UNREACHABLE,
                suite,
                # ("no staging host configured" is no outage, but as little of a test)
                f"{plural(n, 'test')} skipped because the service was unreachable or not "
                "configured",
                tests=n,
            )
            for suite, n in by_suite.items()
        ]
    durations = columns.durations
    if None in durations:
        durations = [inf if d is None else d for d in durations]
    quick = [
        (row, network_hint(row.classname, row.name, row.suite))
        for row in compress(run.rows, map(lt, durations, repeat(zero_ms)))  # type: ignore[arg-type]
        if row.outcome is _PASSED
    ]
    # (a word such as agent or auth alone is no network: a unit test's module may hold it too;
    # it counts in a class whose other tests take network time or talk to the service)
    weak = {row.classname for row, h in quick if h is _WEAK}
    timed = _network_classes(run, recordings or {}, weak) if weak else set()
    fast = [
        row for row, hint in quick if hint is _STRONG or (hint is _WEAK and row.classname in timed)
    ]
    talked = _talked(run, recordings or {}, [row.test_id for row in fast]) if fast else set()
    for row in fast:
        if row.test_id in talked or row.duration is None:
            continue  # (None was compared as inf: never here)
        out.append(
            VacuousSignal(
                VacuousKind.ZERO_MS_NETWORK_PASS,
                row.test_id,
                f"passed in {row.duration * 1000:.1f} ms, too fast for a network round trip",
            )
        )
    recorded_bypass = {
        tid for tid, recs in (recordings or {}).items() if any(r.auth_bypass for r in recs)
    }
    for case in details.values():
        if case.outcome is not _PASSED:
            continue
        output = case.stdout + case.stderr
        if m := _FALLBACK.search(output):
            out.append(
                VacuousSignal(VacuousKind.FALLBACK, case.test_id, f"output says: {m.group(0)!r}")
            )
        if case.test_id not in recorded_bypass and (m := BYPASS_USER_IN_TEXT.search(output)):
            # (the recording says it already, when there is one)
            out.append(
                VacuousSignal(
                    VacuousKind.AUTH_BYPASS,
                    case.test_id,
                    f"{OUTPUT_SAYS} server user {m.group(0)!r}: the token was not validated",
                )
            )
        if case.properties:
            for name, value in case.properties:
                if name == NEVER_AWAITED_PROPERTY:
                    out.append(
                        VacuousSignal(
                            VacuousKind.NEVER_AWAITED,
                            case.test_id,
                            f"passed without running its body: {value} (an async test in a "
                            "unittest.TestCase: use IsolatedAsyncioTestCase, or a plain class "
                            "with pytest-asyncio)",
                        )
                    )
                    break
    rows = run.row_by_id if recordings else {}
    for test_id, recs in (recordings or {}).items():
        result = rows.get(test_id)
        # (a failing test with an empty recording is a failure, not a pass that proves little)
        passed_test = result is None or result.outcome is _PASSED
        for rec in recs:
            subject = test_id or rec.path
            # (an attempt pytest-rerunfailures ran again failed: its recording is why, and says
            # nothing about the pass the results hold)
            passed = passed_test and rec.outcome != "rerun"
            if rec.zero_frames and passed:
                out.append(
                    VacuousSignal(
                        VacuousKind.ZERO_FRAME_RECORDING,
                        subject,
                        f"recording {rec.path} has zero frames (outcome {rec.outcome or '?'})",
                    )
                )
            verdict = rec.contract_findings[0] if rec.contract_findings else ""
            if passed and result is not None and verdict.startswith("FAIL"):
                out.append(
                    VacuousSignal(
                        VacuousKind.CONTRACT_BROKEN,
                        subject,
                        f"passed, but its recording {rec.path} breaks the event contract: "
                        + verdict.removeprefix("FAIL: "),
                    )
                )
            if rec.auth_bypass:
                out.append(
                    VacuousSignal(
                        VacuousKind.AUTH_BYPASS,
                        subject,
                        f"server assigned user {rec.server_user!r}: the token was not validated",
                    )
                )
    return out
