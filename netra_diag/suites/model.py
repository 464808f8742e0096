"""The test-results model every parser produces: one ``SuiteRun`` of ``TestCase`` records.

Formats differ in what they can tell (JUnit from pytest cannot tell an xpass from a pass;
pytest-json can), so the model keeps what the runner said and how the runner counted it.
``Counts`` is computed from ``TestCase.counted_as`` so that it equals the runner's own summary
line: pytest, for instance, reports a test whose call passed and whose teardown raised as
"1 passed, 1 error".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import NamedTuple

# (where the readers and renderings have always found them)
from netra_diag.suites.nodeids import module_of, nodeid_to_test_id, split_nodeid

__all__ = [
    "FAILING",
    "CaseRow",
    "Counts",
    "Outcome",
    "Problem",
    "ProblemKind",
    "RowColumns",
    "SuiteRun",
    "TestCase",
    "case_from_row",
    "count_cases",
    "module_of",
    "nodeid_to_test_id",
    "primary_of",
    "row_of",
    "seed_columns",
    "split_nodeid",
    "suite_label",
]


def suite_label(name: str) -> str:
    """A suite's name as a reader sees it: tests outside any named suite (node's top-level
    tests, a bare ``<testsuite>``) are "(top level)"."""
    return name or "(top level)"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"
    XPASSED = "xpassed"


FAILING: frozenset[Outcome] = frozenset({Outcome.FAILED, Outcome.ERROR})


class ProblemKind(StrEnum):
    """What a result element said, in JUnit's vocabulary (Surefire adds the rerun/flaky ones)."""

    FAILURE = "failure"
    ERROR = "error"
    SKIPPED = "skipped"
    RERUN_FAILURE = "rerunFailure"
    RERUN_ERROR = "rerunError"
    FLAKY_FAILURE = "flakyFailure"
    FLAKY_ERROR = "flakyError"


_FAILURE, _ERROR = ProblemKind.FAILURE, ProblemKind.ERROR


@dataclass(frozen=True, slots=True)
class Problem:
    """One failure, error, skip or earlier attempt of a test, as the report wrote it.

    ``phase`` is the runner's own stage when the format tells (pytest-json ``setup``/``call``/
    ``teardown``, pytest JUnit's "failed on setup with"), else ``""``.
    """

    kind: ProblemKind
    type: str = ""
    message: str = ""
    text: str = ""
    phase: str = ""


@dataclass(frozen=True, slots=True)
class TestCase:
    """One test as the runner reported it.

    ``test_id`` is the identity used to merge shards and compare runs: ``classname::name``, which
    every format has and which pytest's xunit1, xunit2 and JSON reports agree on
    (``nodeid_to_test_id``). ``nodeid`` is pytest's node id when the report lets us rebuild it.
    ``counted_as`` lists the summary buckets the runner put this test in (usually ``outcome``).
    """

    __test__ = False  # not a pytest test class, whatever its name says

    test_id: str
    name: str
    classname: str = ""
    suite: str = ""
    outcome: Outcome = Outcome.PASSED
    counted_as: tuple[Outcome, ...] = ()
    duration: float | None = None
    file: str = ""
    line: int | None = None
    problems: tuple[Problem, ...] = ()
    reruns: tuple[Problem, ...] = ()
    properties: tuple[tuple[str, str], ...] = ()
    stdout: str = ""
    stderr: str = ""
    source: str = ""  # the results file this record came from
    nodeid: str = ""  # pytest node id, when the report lets us rebuild it

    def __post_init__(self) -> None:
        if not self.counted_as:
            object.__setattr__(self, "counted_as", (self.outcome,))

    @property
    def failing(self) -> bool:
        return self.outcome in FAILING

    @property
    def primary(self) -> Problem | None:
        """The failure or error that decided the outcome, if any."""
        return primary_of(self.outcome, self.problems)

    @property
    def passed_on_retry(self) -> bool:
        """Passed in the end after at least one failed attempt (Surefire ``flakyFailure``)."""
        return self.outcome is Outcome.PASSED and any(
            r.kind in (ProblemKind.FLAKY_FAILURE, ProblemKind.FLAKY_ERROR) for r in self.reruns
        )


def primary_of(outcome: Outcome, problems: Sequence[Problem]) -> Problem | None:
    """The failure or error that decided ``outcome`` among ``problems`` (``TestCase.primary``)."""
    if len(problems) == 1:
        # Most tests that have problems have one, the primary one if it is a failure or an
        # error, whatever the outcome: said at once (it is asked for thousands of times).
        kind = problems[0].kind
        return problems[0] if kind is _FAILURE or kind is _ERROR else None
    order = (
        (ProblemKind.ERROR, ProblemKind.FAILURE)
        if outcome is Outcome.ERROR
        else (ProblemKind.FAILURE, ProblemKind.ERROR)
    )
    for kind in order:
        for p in problems:
            if p.kind is kind:
                return p
    return None


@dataclass(frozen=True, slots=True)
class Counts:
    """The runner's summary buckets. ``flaky`` counts tests that passed after a failed attempt."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    flaky: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.skipped + self.xfailed + self.xpassed

    def as_dict(self) -> dict[str, int]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "xfailed": self.xfailed,
            "xpassed": self.xpassed,
            "flaky": self.flaky,
        }

    def summary(self) -> str:
        """A pytest-style summary line: ``2 failed, 1 passed, 1 error``; zeros left out."""
        parts = [
            (self.failed, "failed"),
            (self.passed, "passed"),
            (self.skipped, "skipped"),
            (self.xfailed, "xfailed"),
            (self.xpassed, "xpassed"),
            (self.errors, "error" if self.errors == 1 else "errors"),
        ]
        return ", ".join(f"{n} {word}" for n, word in parts if n) or "no tests ran"


_BUCKET = {
    Outcome.PASSED: "passed",
    Outcome.FAILED: "failed",
    Outcome.ERROR: "errors",
    Outcome.SKIPPED: "skipped",
    Outcome.XFAILED: "xfailed",
    Outcome.XPASSED: "xpassed",
}


def count_cases(cases: Iterable[TestCase]) -> Counts:
    tally = dict.fromkeys(_BUCKET.values(), 0)
    flaky = 0
    for case in cases:
        for outcome in case.counted_as:
            tally[_BUCKET[outcome]] += 1
        flaky += case.passed_on_retry
    return Counts(flaky=flaky, **tally)


class RowColumns(NamedTuple):
    """``SuiteRun.rows`` transposed: one sequence per ``CaseRow`` field, aligned with the rows,
    for whole-run passes that read one or two fields of every row."""

    test_ids: Sequence[str]
    names: Sequence[str]
    classnames: Sequence[str]
    suites: Sequence[str]
    outcomes: Sequence[Outcome]
    durations: Sequence[float | None]
    files: Sequence[str]
    lines: Sequence[int | None]


_NO_COLUMNS = RowColumns((), (), (), (), (), (), (), ())


class CaseRow(NamedTuple):
    """The few fields whole-run passes need (counts, diff, durations), kept for every test.

    A plain tuple, because a 100k-case run builds 100k of them and triage must stay faster than a
    bare XML parse; the full ``TestCase`` of a plain pass is only built on demand.
    """

    test_id: str
    name: str
    classname: str
    suite: str
    outcome: Outcome
    duration: float | None
    file: str
    line: int | None


@dataclass(frozen=True)
class SuiteRun:
    """All tests of one run (one file, or several shards merged).

    ``rows`` has one ``CaseRow`` per test in report order; ``details`` the full ``TestCase`` of
    every test that has more to say than its row (every failing, erroring, skipped or retried
    test, and any with output or properties). ``declared`` holds the totals the file itself
    declared (``<testsuite tests= failures=>``, node's ``<!-- pass 3 -->`` comments) for
    cross-checking; ``warnings`` what was odd but usable.
    """

    rows: tuple[CaseRow, ...]
    details: Mapping[str, TestCase] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    fmt: str = ""
    declared: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # How the run ended early, when its results say so (pytest.exit, Ctrl-C: the test running
    # then has no result and the ones after it never ran), in words; "" for a run that ended.
    interrupted: str = ""
    # When the run started, as its report says (ISO 8601; "" if it does not): what orders a
    # history of runs (netra_diag.suites.run_order).
    started: str = ""

    @cached_property
    def cases(self) -> tuple[TestCase, ...]:
        details = self.details
        return tuple(details.get(row.test_id) or case_from_row(row) for row in self.rows)

    @cached_property
    def columns(self) -> RowColumns:
        """The rows as columns (the JUnit readers hand over the columns they built anyway, see
        ``seed_columns``)."""
        if not self.rows:
            return _NO_COLUMNS
        return RowColumns(*zip(*self.rows, strict=True))

    @cached_property
    def counts(self) -> Counts:
        tally = Counter(self.columns.outcomes)
        flaky = 0
        for case in self.details.values():
            if case.counted_as != (case.outcome,):
                tally[case.outcome] -= 1
                tally.update(case.counted_as)
            if case.reruns:  # passed_on_retry needs an earlier attempt
                flaky += case.passed_on_retry
        return Counts(flaky=flaky, **{_BUCKET[o]: n for o, n in tally.items()})

    @cached_property
    def suite_names(self) -> tuple[str, ...]:
        """The suite each row is reported under (aligned with ``rows``): its testsuite name, or
        its module when every test sits in one generic testsuite (pytest calls them all
        "pytest")."""
        columns = self.columns
        suites = columns.suites
        names = set(suites)
        generic = len(names) <= 1 and names <= {"", "pytest", "pytest tests"}
        if not generic:
            return tuple(suites)
        # A collection error has no classname: its name is the module.
        wheres = columns.classnames
        if "" in wheres:
            wheres = [w or name for w, name in zip(wheres, columns.names, strict=True)]
        # One module_of per distinct classname; a row's suite is only the fallback for one
        # without a module, so those few are looked at row by row, first row first.
        memo = {where: module_of(where) for where in dict.fromkeys(wheres)}
        if "" in memo.values():
            for where, suite in zip(wheres, suites, strict=True):
                if not memo[where]:
                    memo[where] = suite or "(no suite)"
        return tuple(map(memo.__getitem__, wheres))

    @cached_property
    def row_by_id(self) -> dict[str, CaseRow]:
        return {row.test_id: row for row in self.rows}

    def get(self, test_id: str) -> TestCase | None:
        """The full record of one test, or None if the run has no such test."""
        case = self.details.get(test_id)
        if case is not None:
            return case
        row = self.row_by_id.get(test_id)
        return case_from_row(row) if row is not None else None

    def failing(self) -> list[TestCase]:
        """Failing and erroring tests, in report order."""
        return [c for c in self.details.values() if c.outcome in FAILING]

    @property
    def duration(self) -> float:
        return sum(row.duration or 0.0 for row in self.rows)

    def __repr__(self) -> str:
        """One line, what a notebook shows for a run (``parse_junit(...)`` ending a cell):
        ``SuiteRun(40 tests from junit.xml [junit-pytest]: 20 failed, 16 passed, 4 errors)``.
        The generated repr would print every row and failure text, tokens in them included."""
        from netra_diag.redaction import scrub
        from netra_diag.wording import plural

        names = [source.replace("\\", "/").rsplit("/", 1)[-1] for source in self.sources]
        files = ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")
        where = f" from {files}" if files else ""
        fmt = f" [{self.fmt}]" if self.fmt else ""
        warned = f"; {plural(len(self.warnings), 'warning')}" if self.warnings else ""
        text = f"{plural(len(self.rows), 'test')}{where}{fmt}: {self.counts.summary()}{warned}"
        return f"SuiteRun({scrub(text)})"


def seed_columns(run: SuiteRun, columns: RowColumns) -> None:
    """Hand ``run`` its ``columns``, built by a reader along with the rows (they must be the
    rows' own fields)."""
    object.__setattr__(run, "columns", columns)


def case_from_row(row: CaseRow) -> TestCase:
    return TestCase(
        test_id=row.test_id,
        name=row.name,
        classname=row.classname,
        suite=row.suite,
        outcome=row.outcome,
        duration=row.duration,
        file=row.file,
        line=row.line,
    )


def row_of(case: TestCase) -> CaseRow:
    return CaseRow(
        case.test_id,
        case.name,
        case.classname,
        case.suite,
        case.outcome,
        case.duration,
        case.file,
        case.line,
    )
