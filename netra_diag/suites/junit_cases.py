"""Turn JUnit ``<testcase>`` elements into rows and details, following the runner conventions
listed in ``netra_diag.suites.junit`` (whose streaming reader collects the elements).

The readers hand over batches of closed testcases (their attributes, and the children of those that
have any) with the suite they sit in: the streaming reader as one dict of attributes per testcase
(``CaseCollector.add_batch``), the bulk reader (``netra_diag.suites.junit_scan``) as one column per
attribute (``CaseCollector.add_columns``). A batch becomes rows with ``map`` over C functions
rather than Python code per testcase, because a 100k-case report is mostly plain passes and
interpreting each one would cost more than parsing the XML. A batch that needs per-testcase care
(a missing name or classname, a ``status``, a test id seen before, which may merge) goes through
``_add_case``, one testcase at a time, with the same result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from math import isfinite
from typing import cast

from netra_diag.suites.junit_build import COUNT_ATTRS, INTERRUPTED_JUNIT, build_run
from netra_diag.suites.junit_children import (
    JEST_SUITE_ERROR,
    NO_EXTRA,
    NO_KIDS,
    Decided,
    Extra,
    Kids,
    decide_details,
)
from netra_diag.suites.junit_repeats import fold_attempt
from netra_diag.suites.junit_values import (
    as_int,
    as_seconds,
    converted,
    line_number,
    pytest_nodeid,
)
from netra_diag.suites.model import (
    FAILING,
    CaseRow,
    Outcome,
    Problem,
    ProblemKind,
    RowColumns,
    SuiteRun,
    primary_of,
)

__all__ = [
    "INTERRUPTED_JUNIT",
    "SUITE_TAGS",
    "CaseCollector",
    "FailureSink",
    "pytest_nodeid",
    "suite_path",
]

SUITE_TAGS = frozenset({"testsuite", "testsuites"})
_PASSED = Outcome.PASSED
_new_row = tuple.__new__  # skips NamedTuple's Python-level __new__
_NODE_COMMENT = re.compile(r"^\s*(tests|suites|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$")
# What a row needs, in the order CaseCollector._add_rows takes the columns.
_ROW_ATTRS = ("name", "classname", "time", "line", "file")
# pytest's JUnit testcase for an INTERNALERROR (classname, name).
_INTERNAL = ("pytest", "internal")


def suite_path(suites: list[tuple[str, dict[str, str]]]) -> str:
    """The names of the open ``<testsuite>`` elements, outermost first ("login > edge cases"),
    from a reader's stack of open suite elements (tag, attributes)."""
    return " > ".join(attrs.get("name", "") for tag, attrs in suites if tag == "testsuite")


# Told of the failing tests of each batch as they are found: (test id, primary problem) pairs.
FailureSink = Callable[[list[tuple[str, Problem]]], None]


class CaseCollector:
    """Rows, details, counts the file declares and warnings of one JUnit file, batch by batch.
    ``on_failures``, if given, hears of the failing tests as batches come in (a test that a
    later element merges into may end up with another primary problem)."""

    def __init__(self, path: str, on_failures: FailureSink | None = None) -> None:
        self.path = path
        self.on_failures = on_failures
        self.rows: list[CaseRow] = []
        # The rows' fields as columns too, for SuiteRun.columns (built along, in C loops).
        self.columns = RowColumns([], [], [], [], [], [], [], [])
        self.ids: set[str] = set()  # the test ids so far
        self._index: dict[str, int] | None = None  # test id -> row, built once needed
        self.suite_counts: dict[str, int] = {}
        self.node_counts: dict[str, int] = {}
        self.warnings: list[str] = []
        self.fmt = "junit"
        self.pending: dict[int, Extra] = {}  # row index -> what its TestCase adds
        self.root_tag = ""
        self.root_attrs: dict[str, str] = {}
        self.suite_tests: dict[str, int] = {}  # top-level suite name -> its declared tests
        self.stamps: list[str] = []  # the top-level suites' timestamps
        self._seconds: dict[str, float] = {}
        self._numbers: dict[str, int] = {}
        self.suite_elements = self.failing_suites = 0  # (note_suite)
        self.stopped = 0  # empty testcases: tests an interrupted pytest run left unfinished
        self.internal = ""  # the exception of pytest's INTERNALERROR, if it had one
        # Each earlier attempt _retried folded into a later one: (row index, the earlier row,
        # its own details), and each such row's latest attempt's own details, so that
        # netra_diag.suites.junit_repeats can tell the attempts apart again.
        self.attempts: list[tuple[int, CaseRow, Extra]] = []
        self.own_extra: dict[int, Extra] = {}
        # Where the chain of enclosing <testsuite> names changes: (first row, "outer > inner").
        # A row's ``suite`` is its innermost suite alone; node's reporter nests a suite per
        # describe, and two describes' "edge cases" must not make one test id.
        self.suite_paths: list[tuple[int, str]] = []

    def at_suite_path(self, path: str) -> None:
        """The rows added from now on sit in the suites ``path`` names, outermost first."""
        if not self.suite_paths or self.suite_paths[-1][1] != path:
            self.suite_paths.append((len(self.rows), path))

    # -- what the file declares ---------------------------------------------------------------
    def note_suite(self, tag: str, attrs: dict[str, str]) -> None:
        """Any ``<testsuite>``, at any depth: how many, and how many say something in them
        failed (node writes a test with subtests as one: ``junit_build._node_unwritten``)."""
        if tag == "testsuite":
            self.suite_elements += 1
            self.failing_suites += bool(
                as_int(attrs.get("failures")) or as_int(attrs.get("errors"))
            )

    def add_suite_counts(self, attrs: dict[str, str]) -> None:
        """Totals of one top-level ``<testsuite>`` (summed over the file)."""
        for attr in COUNT_ATTRS:
            value = as_int(attrs.get(attr))
            if value is not None:
                self.suite_counts[attr] = self.suite_counts.get(attr, 0) + value
        stamp = attrs.get("timestamp")
        if stamp:
            self.stamps.append(stamp)
        tests = as_int(attrs.get("tests"))
        if tests is not None:
            name = attrs.get("name", "")
            self.suite_tests[name] = self.suite_tests.get(name, 0) + tests

    def add_comment(self, text: str) -> None:
        """node's reporter states its totals in comments (``<!-- pass 2 -->``)."""
        match = _NODE_COMMENT.match(text)
        if match:
            self.fmt = "junit-node"
            self.node_counts[f"node_{match.group(1)}"] = int(match.group(2))

    # -- testcases --------------------------------------------------------------------------
    def add_batch(self, cases: list[dict[str, str]], kids: Mapping[int, Kids], suite: str) -> None:
        """Rows for closed testcases, in report order: ``cases`` holds their attributes, ``kids``
        the children of those (by index in ``cases``) that have any; all sit in ``suite``."""
        if not cases:
            return
        if not any(map(dict.__contains__, cases, repeat("status"))):
            get = dict.get
            columns = [list(map(get, cases, repeat(attr))) for attr in _ROW_ATTRS]
            if self._add_rows(columns, kids, suite):
                return
        for i, a in enumerate(cases):
            self._add_case(a, kids.get(i), suite)

    def add_columns(
        self,
        columns: Mapping[str, list[str]],
        size: int,
        kids: Mapping[int, Kids],
        suite: str,
        decided: Mapping[int, Decided] | None = None,
    ) -> None:
        """``add_batch`` for ``size`` testcases given as one list of values per attribute that
        every one of them has (``columns``); the other attributes are missing from all.
        ``decided`` holds what ``details_of_shape`` already made of some testcases' children,
        which have no entry in ``kids`` (only for testcases without ``status``)."""
        if not size:
            return
        decided = decided or {}
        if "status" not in columns and "name" in columns and "classname" in columns:
            missing: list[str | None] = [None] * size
            picked: list[list[str | None]] = [
                columns.get(attr, missing)  # type: ignore[misc]
                for attr in _ROW_ATTRS
            ]
            if self._add_rows(picked, kids, suite, decided):
                return
        attrs = list(columns)
        cases = [
            dict(zip(attrs, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
        for i, a in enumerate(cases):
            self._add_case(a, kids.get(i), suite, decided.get(i))

    def _add_rows(
        self,
        columns: Sequence[list[str | None]],
        kids: Mapping[int, Kids],
        suite: str,
        decided: Mapping[int, Decided] | None = None,
    ) -> bool:
        """Rows for a batch (``columns`` in ``_ROW_ATTRS`` order, None for a missing attribute)
        in C loops; False, and nothing done, when the batch needs ``_add_case``."""
        names, classnames, times, line_texts, files = columns
        # all(): no None and no "" (a string is false only when empty), in one C loop
        if not all(names) or not all(classnames):
            return False
        size = len(names)
        # (one join per row: one new string, where two concatenations made two)
        test_ids = list(map("::".join, zip(classnames, names, strict=True)))  # type: ignore[arg-type]
        base = len(self.rows)
        new = set(test_ids)
        if len(new) != size or not self.ids.isdisjoint(new):
            return False
        # float()/int() as _add_case does, once per distinct value (the memos last the file:
        # a report has few distinct line numbers and, rounded as runners write them, times);
        # a missing or odd value sends the whole list through the per-value function.
        try:
            durations: list[float | None] = converted(self._seconds, float, times)
            # (all floats here: float() refused None. One C pass each: a NaN or an infinity
            # makes the sum one, a negative the minimum)
            seconds = cast("list[float]", durations)
            if seconds and (not isfinite(sum(seconds)) or min(seconds) < 0):
                durations = list(map(as_seconds, times))
        except (TypeError, ValueError):
            durations = list(map(as_seconds, times))
        try:
            lines: list[int | None] = converted(self._numbers, int, line_texts)
        except (TypeError, ValueError):
            lines = list(map(line_number, line_texts))
        if None in files:
            files = [f or "" for f in files]
        outcomes = [_PASSED] * size
        pending = self.pending
        found: dict[int, Decided] = {
            i: decide_details(classnames[i], "", children)  # type: ignore[arg-type]
            for i, children in kids.items()
        }
        if decided:
            found.update(decided)
            found = dict(sorted(found.items()))  # details keep report order
        if any(names[i] == _INTERNAL[1] and classnames[i] == _INTERNAL[0] for i in found):
            return False  # (pytest's internal error is no test: _add_case says so)
        for i, (outcome, extra) in found.items():
            outcomes[i] = outcome
            pending[base + i] = extra
        if self.on_failures is not None and found:
            failing = [
                (test_ids[i], primary)
                for i, (outcome, extra) in found.items()
                if outcome in FAILING and (primary := primary_of(outcome, extra.problems))
            ]
            if failing:
                self.on_failures(failing)
        suites = [suite] * size
        fields = (test_ids, names, classnames, suites, outcomes, durations, files, lines)
        self.rows += map(_new_row, repeat(CaseRow), zip(*fields, strict=True))
        for column, values in zip(self.columns, fields, strict=True):
            column.extend(values)  # type: ignore[attr-defined]
        self.ids |= new
        if self._index is not None:
            self._index.update(zip(test_ids, range(base, base + size), strict=True))
        return True

    def _add_case(
        self,
        a: dict[str, str],
        children: Kids | None,
        suite: str,
        decided: Decided | None = None,
    ) -> None:
        name = a.get("name") or ""
        classname = a.get("classname") or a.get("class") or ""
        if (
            not name
            and not classname
            and children is None
            and decided is None
            and a.keys() == {"time"}
            and (suite == "pytest" or self.root_attrs.get("name") == "pytest tests")
        ):
            # pytest's trace of the test it was running when pytest.exit or Ctrl-C stopped the
            # run: a testcase opened for its set-up's duration and never given a name or a
            # result. pytest counts nothing for it, and the tests after it never ran.
            self.stopped += 1
            return
        line = line_number(a.get("line"))
        duration = as_seconds(a.get("time"))
        if not name:
            self.warnings.append(f"{self.path}: testcase #{len(self.rows) + 1} has no name")
            name = f"<unnamed #{len(self.rows) + 1}>"
        test_id = f"{classname}::{name}" if classname else name
        rerun = test_id in self.ids and self._pytest_attempts(a)
        if children is None and decided is None and "status" not in a:  # a plain pass
            if rerun:
                fold_attempt(
                    self,
                    test_id,
                    CaseRow(
                        test_id,
                        name,
                        classname,
                        suite,
                        _PASSED,
                        duration,
                        a.get("file") or "",
                        line,
                    ),
                    NO_EXTRA,
                )
                return
            if test_id in self.ids:
                test_id = self.unique_id(test_id)
            self._append(
                CaseRow(
                    test_id, name, classname, suite, _PASSED, duration, a.get("file") or "", line
                )
            )
            return
        if decided is None:
            outcome, extra = decide_details(classname, a.get("status", ""), children or NO_KIDS)
        else:
            outcome, extra = decided
        if (classname, name) == _INTERNAL and self._internal_error(extra, suite):
            return
        earlier = self.row_of(test_id)
        if earlier is not None and (
            classname == JEST_SUITE_ERROR
            or (
                extra.counted_as == (Outcome.PASSED, Outcome.ERROR)
                and self.rows[earlier].outcome is Outcome.FAILED
            )
        ):
            self._merge_into(earlier, extra, jest=classname == JEST_SUITE_ERROR)
            return
        if rerun:
            row = CaseRow(
                test_id, name, classname, suite, outcome, duration, a.get("file") or "", line
            )
            fold_attempt(self, test_id, row, extra)
            return
        if earlier is not None:
            test_id = self.unique_id(test_id)
        index = len(self.rows)
        self._append(
            CaseRow(test_id, name, classname, suite, outcome, duration, a.get("file") or "", line)
        )
        self.pending[index] = extra

    def _internal_error(self, extra: Extra, suite: str) -> bool:
        """Whether a testcase is pytest's INTERNALERROR (``classname="pytest" name="internal"``,
        an ``<error message="internal error">``): pytest counts no test for it; the run was cut
        short, which ``interrupted`` says."""
        if not (suite == "pytest" or self.root_attrs.get("name") == "pytest tests"):
            return False
        for problem in extra.problems:
            if problem.kind is ProblemKind.ERROR and problem.message == "internal error":
                lines = [line.strip() for line in problem.text.splitlines() if line.strip()]
                self.internal = lines[-1][:160] if lines else "internal error"
                return True
        return False

    def _pytest_attempts(self, a: Mapping[str, str]) -> bool:
        """Whether a testcase repeating a test id of this file is another attempt of that test:
        pytest names each test once per run, so in its reports a repeated id is
        pytest-rerunfailures' (it writes every attempt as a testcase of its own, the last one
        deciding; "1 passed, 1 rerun" for two elements)."""
        return self.root_attrs.get("name") == "pytest tests" or (a.get("file") or "").endswith(
            ".py"
        )

    def _append(self, row: CaseRow) -> None:
        if self._index is not None:
            self._index[row.test_id] = len(self.rows)
        self.ids.add(row.test_id)
        self.rows.append(row)
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)  # type: ignore[attr-defined]

    def append_row(self, row: CaseRow, extra: Extra) -> None:
        self.pending[len(self.rows)] = extra
        self._append(row)

    def row_of(self, test_id: str) -> int | None:
        """The row of ``test_id``, if it was seen (the index is built the first time a
        testcase needs it: most files never do)."""
        if test_id not in self.ids:
            return None
        if self._index is None:
            ids = self.columns.test_ids
            self._index = dict(zip(ids, range(len(ids)), strict=True))
        return self._index[test_id]

    def unique_id(self, test_id: str) -> str:
        # Same name twice in one file (jest titles, a repeated go subtest): still two tests.
        n = 2
        while f"{test_id} #{n}" in self.ids:
            n += 1
        return f"{test_id} #{n}"

    def _merge_into(self, index: int, new: Extra, *, jest: bool) -> None:
        """Fold a second element for the same test into the first (see ``junit``'s docstring)."""
        old = self.pending.get(index, NO_EXTRA)
        self.pending[index] = old._replace(
            problems=(*old.problems, *new.problems),
            # pytest: failed call + teardown error
            counted_as=old.counted_as if jest else (Outcome.FAILED, Outcome.ERROR),
            stdout=old.stdout or new.stdout,
            stderr=old.stderr or new.stderr,
        )

    # -- the run ------------------------------------------------------------------------------
    def build(self) -> SuiteRun:
        """The run of the whole file (``netra_diag.suites.junit_build``)."""
        return build_run(self)
