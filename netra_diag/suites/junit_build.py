"""A JUnit file's run, once its testcases are collected (``netra_diag.suites.junit_cases``):
what the file declares, the details of every test with more than a row, and what the runner's
conventions add at the end (node's test ids, jest-junit's todos, pytest's interruptions)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from netra_diag.suites.constructors import new_test_cases
from netra_diag.suites.jest_junit import JEST_ROOT, jest_report
from netra_diag.suites.junit_children import NO_EXTRA, xdist_crash
from netra_diag.suites.junit_repeats import separate_repeats
from netra_diag.suites.junit_values import as_int, nodeid_prefix
from netra_diag.suites.model import (
    FAILING,
    CaseRow,
    Outcome,
    Problem,
    ProblemKind,
    RowColumns,
    SuiteRun,
    TestCase,
    seed_columns,
)
from netra_diag.suites.run_order import earliest_start

if TYPE_CHECKING:
    from netra_diag.suites.junit_cases import CaseCollector

__all__ = ["INTERRUPTED_JUNIT", "build_run"]

# The declared totals a <testsuite> or <testsuites> element may carry.
COUNT_ATTRS = ("tests", "failures", "errors", "skipped", "disabled")
# SuiteRun.interrupted of a pytest JUnit file holding the empty testcase of a stopped test.
INTERRUPTED_JUNIT = (
    "the run was interrupted (pytest.exit, Ctrl-C or a signal): the test it stopped in and any "
    "after it have no result"
)


def _node_ids(c: CaseCollector) -> None:
    """Test ids for node's reporter, which names every testcase's class "test": the
    enclosing ``describe`` blocks (its nested ``<testsuite>`` elements, "login > edge cases")
    and the test's name. The innermost alone made "edge cases::works" of login's and logout's
    tests, told apart by position ("#2"), and so did a position alone (``test::x #3``): every
    id after an added test would differ from the baseline's, and a baseline's result be read
    as another test's."""
    rows = c.rows
    paths = _row_paths(c.suite_paths, len(rows))
    wanted = [
        f"{path}::{row.name}" if path else row.name for row, path in zip(rows, paths, strict=True)
    ]
    seen: set[str] = set()
    ids: list[str] = []
    for test_id in wanted:
        n = 1
        unique = test_id
        while unique in seen:  # the same title twice in one describe: still two tests
            n += 1
            unique = f"{test_id} #{n}"
        seen.add(unique)
        ids.append(unique)
    c.rows = [row._replace(test_id=new) for row, new in zip(rows, ids, strict=True)]
    c.columns = c.columns._replace(test_ids=ids)
    c.ids = seen
    c._index = None


def _row_paths(marks: list[tuple[int, str]], n_rows: int) -> list[str]:
    """Each row's suite path, from where the path changed (``CaseCollector.suite_paths``)."""
    paths: list[str] = []
    for k, (first, path) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else n_rows
        paths += [path] * max(0, min(end, n_rows) - max(first, len(paths)))
    return paths + [""] * (n_rows - len(paths))


# What a failure node counted but wrote no testcase for is, in the report.
NODE_UNWRITTEN = (
    "node's test runner counted a failing test that its JUnit reporter writes no testcase for "
    "(a parent test whose own body failed after its subtests passed, a describe's failing "
    "before/after hook): node's own output says which"
)


def _node_unwritten(c: CaseCollector) -> None:
    """A failing test of its own for each failure node counted (``<!-- fail N -->``,
    ``cancelled``) beyond the failing testcases it wrote: without them such a run, which node
    failed, read as passing, and its counts were not node's."""
    said = c.node_counts.get("node_fail", 0) + c.node_counts.get("node_cancelled", 0)
    # node counts a test with subtests failed by one of them too; its JUnit writes it as a
    # <testsuite> (as a describe, which node counts apart: "suites N"), with failures="1".
    # At most that many failures are such tests: what is missing beyond is lost.
    parents = max(0, c.suite_elements - c.node_counts.get("node_suites", 0))
    explained = min(parents, c.failing_suites)
    missing = said - explained - sum(1 for row in c.rows if row.outcome in FAILING)
    for n in range(1, missing + 1):
        name = f"(failure {n} of {missing} that node wrote no testcase for)"
        problem = Problem(ProblemKind.FAILURE, message=NODE_UNWRITTEN)
        c.append_row(
            CaseRow(name, name, "", "", Outcome.FAILED, None, "", None),
            NO_EXTRA._replace(counted_as=(Outcome.FAILED,), problems=(problem,)),
        )


def _details(c: CaseCollector) -> tuple[dict[str, TestCase], bool]:
    """The ``TestCase`` of each test that has more than a row (``pending``), by test id in
    the order they came, built column by column (``new_test_cases``); and whether any of
    them has pytest's attributes (a ``file`` and a classname that rebuild its node id)."""
    pending = c.pending
    if not pending:
        return {}, False
    picked = list(map(c.rows.__getitem__, pending))
    test_ids, names, classnames, suites, outcomes, durations, files, lines = zip(
        *picked, strict=True
    )
    counted_as, problems, reruns, properties, stdout, stderr = zip(*pending.values(), strict=True)
    # (an empty counted_as: the test counts in its outcome's bucket alone)
    counted = [c or (o,) for c, o in zip(counted_as, outcomes, strict=True)]
    prefixes = list(map(nodeid_prefix, classnames, files))  # None: not pytest's
    nodeids = ["" if p is None else p + n for p, n in zip(prefixes, names, strict=True)]
    cases = new_test_cases(
        (
            test_ids,
            names,
            classnames,
            suites,
            outcomes,
            counted,
            durations,
            files,
            lines,
            problems,
            reruns,
            properties,
            stdout,
            stderr,
            [c.path] * len(picked),
            nodeids,
        )
    )
    return dict(zip(test_ids, cases, strict=True)), prefixes.count(None) < len(prefixes)


def build_run(c: CaseCollector) -> SuiteRun:
    """The ``SuiteRun`` of a file whose testcases ``c`` collected: its declared totals, node's
    test ids, jest-junit's todos, the details of tests with more than a row, the interruption
    pytest left, and warnings where the file declares more failures than it holds."""
    repeats = separate_repeats(c)
    declared = {**c.suite_counts, **c.node_counts}
    if c.root_tag == "testsuites":
        own = {attr: as_int(c.root_attrs.get(attr)) for attr in COUNT_ATTRS}
        if any(v is not None for v in own.values()):
            declared = {k: v for k, v in own.items() if v is not None}
    if c.fmt == "junit-node":
        _node_ids(c)
        _node_unwritten(c)
    if c.root_attrs.get("name") == JEST_ROOT:
        jest_report(c)
    rows = c.rows
    details, pytest_like = _details(c)
    fmt = c.fmt
    if fmt == "junit" and (pytest_like or c.root_attrs.get("name") == "pytest tests"):
        fmt = "junit-pytest"
    warnings = [*c.warnings, repeats] if repeats else c.warnings
    interrupted = ""
    if c.internal:
        fmt = "junit-pytest" if fmt == "junit" else fmt
        interrupted = f"pytest stopped on an internal error ({c.internal})"
        warnings = [
            *warnings,
            f"{c.path}: {interrupted}: the tests it had not run yet have no result (its "
            "testcase 'pytest::internal' is not counted, as pytest does not count it)",
        ]
    elif c.stopped:
        fmt = "junit-pytest" if fmt == "junit" else fmt
        interrupted = INTERRUPTED_JUNIT
        warnings = [
            *warnings,
            f"{c.path}: {INTERRUPTED_JUNIT} (an empty <testcase> is all pytest wrote of "
            "the test it was running; it is not counted, as pytest does not count it)",
        ]
    run = SuiteRun(
        rows=tuple(rows),
        details=details,
        sources=(c.path,),
        fmt=fmt,
        declared=declared,
        warnings=tuple(warnings),
        interrupted=interrupted,
        started=earliest_start([c.root_attrs.get("timestamp", ""), *c.stamps]),
    )
    # Tuples, as SuiteRun.columns makes them from rows.
    columns = RowColumns(*map(tuple, c.columns))  # type: ignore[arg-type]
    seed_columns(run, columns)
    counts = run.counts
    retried = any(c.reruns for c in details.values())
    errors = counts.errors + bool(c.internal)  # (pytest declares its internal error)
    if declared.get("errors", 0) > errors:
        # pytest's JUnit counts the test of a crashed xdist worker among its errors; it is
        # a failure here, as pytest's summary says
        errors += sum(
            1
            for c in details.values()
            if c.outcome is Outcome.FAILED and any(xdist_crash(p.message) for p in c.problems)
        )
    short = [
        f"{c.path}: the file declares {said} {attr} but has testcases for {have} "
        "(a package or suite that did not build or load leaves no testcase)"
        for attr, have in (("errors", errors), ("failures", counts.failed))
        if (said := declared.get(attr)) is not None and said > have and not retried
    ]
    if short:
        run = replace(run, warnings=(*run.warnings, *short))
        seed_columns(run, columns)
    return run
