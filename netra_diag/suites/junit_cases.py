"""Turn JUnit ``<testcase>`` elements into rows and details, following the runner conventions
listed in ``netra_diag.suites.junit`` (whose streaming reader collects the elements).

The reader hands over batches of closed testcases (their attributes, and the children of those that
have any) with the suite they sit in; ``CaseCollector.add_batch`` turns a whole batch into rows
with ``map`` over C functions rather than Python code per testcase, because a 100k-case report is
mostly plain passes and interpreting each one would cost more than parsing the XML. A batch that
needs per-testcase care (a missing name or classname, a ``status``, a test id seen before, which
may merge) goes through ``_add_case``, one testcase at a time, with the same result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from itertools import repeat
from typing import NamedTuple

from netra_diag.suites.model import CaseRow, Outcome, Problem, ProblemKind, SuiteRun, TestCase
from netra_diag.suites.xmlstream import TextBuffer, clip_text

__all__ = [
    "SUITE_TAGS",
    "TEXT_TAGS",
    "CaseCollector",
    "Child",
    "pytest_nodeid",
]

_PROBLEM_TAGS = {k.value: k for k in ProblemKind}
_FINAL_KINDS = frozenset({ProblemKind.FAILURE, ProblemKind.ERROR, ProblemKind.SKIPPED})
SUITE_TAGS = frozenset({"testsuite", "testsuites"})
TEXT_TAGS = frozenset({*_PROBLEM_TAGS, "system-out", "system-err"})
_PASSED = Outcome.PASSED
_JEST_SUITE_ERROR = "Test suite failed to run"
_new_row = tuple.__new__  # skips NamedTuple's Python-level __new__
_COUNT_ATTRS = ("tests", "failures", "errors", "skipped", "disabled")
_NODE_COMMENT = re.compile(r"^\s*(tests|suites|pass|fail|cancelled|skipped|todo)\s+(\d+)\s*$")
_SKIP_STATUS = frozenset({"skipped", "disabled", "notrun", "ignored"})
_MESSAGE_LIMIT = 4096


@lru_cache(maxsize=1024)  # a report has few (classname, file) pairs and many tests per pair
def _nodeid_prefix(classname: str, file: str) -> str | None:
    if not file.endswith(".py"):
        return None
    module = file[:-3].replace("/", ".").replace("\\", ".")
    if classname == module:
        return f"{file}::"
    if classname.startswith(module + "."):
        rest = classname[len(module) + 1 :].split(".")
        return "::".join([file, *rest, ""])
    return None


def pytest_nodeid(classname: str, name: str, file: str) -> str:
    """Rebuild pytest's node id from the JUnit attributes (undoing ``mangle_test_address``).

    Needs ``file`` (xunit1); returns ``""`` when the classname does not start with the module.
    """
    prefix = _nodeid_prefix(classname, file)
    return "" if prefix is None else prefix + name


def _as_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _as_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        try:  # Surefire writes "1,234.5" under some locales
            return float(value.replace(",", ""))
        except ValueError:
            return None


def _line(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class Child:
    """One element directly inside a testcase (failure, system-out, properties, …).

    ``text`` collects its character data for failure/error/skip/output elements, ``stack`` that
    of a Surefire ``<stackTrace>`` inside it, ``props`` its ``<property>`` elements.
    """

    __slots__ = ("attrs", "props", "stack", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.text: TextBuffer | None = None
        self.stack: TextBuffer | None = None
        self.props: list[tuple[str, str]] = []


class CaseCollector:
    """Rows, details, counts the file declares and warnings of one JUnit file, batch by batch."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.rows: list[CaseRow] = []
        self.seen: dict[str, int] = {}
        self.suite_counts: dict[str, int] = {}
        self.node_counts: dict[str, int] = {}
        self.warnings: list[str] = []
        self.fmt = "junit"
        self.pending: dict[int, _Extra] = {}  # row index -> what its TestCase adds
        self.root_tag = ""
        self.root_attrs: dict[str, str] = {}

    # -- what the file declares ---------------------------------------------------------------
    def add_suite_counts(self, attrs: dict[str, str]) -> None:
        """Totals of one top-level ``<testsuite>`` (summed over the file)."""
        for attr in _COUNT_ATTRS:
            value = _as_int(attrs.get(attr))
            if value is not None:
                self.suite_counts[attr] = self.suite_counts.get(attr, 0) + value

    def add_comment(self, text: str) -> None:
        """node's reporter states its totals in comments (``<!-- pass 2 -->``)."""
        match = _NODE_COMMENT.match(text)
        if match:
            self.fmt = "junit-node"
            self.node_counts[f"node_{match.group(1)}"] = int(match.group(2))

    # -- testcases --------------------------------------------------------------------------
    def add_batch(
        self, cases: list[dict[str, str]], kids: Mapping[int, Sequence[Child]], suite: str
    ) -> None:
        """Rows for closed testcases, in report order: ``cases`` holds their attributes, ``kids``
        the children of those (by index in ``cases``) that have any; all sit in ``suite``."""
        if not cases:
            return
        if not self._add_batch(cases, kids, suite):
            for i, a in enumerate(cases):
                self._add_case(a, kids.get(i, ()), suite)

    def _add_batch(
        self, cases: list[dict[str, str]], kids: Mapping[int, Sequence[Child]], suite: str
    ) -> bool:
        get = dict.get
        names = list(map(get, cases, repeat("name")))
        if None in names or "" in names:
            return False
        classnames: list[str] = list(map(get, cases, repeat("classname")))  # type: ignore[arg-type]
        if None in classnames or "" in classnames:
            return False
        test_ids = list(map("{}::{}".format, classnames, names))
        seen = self.seen
        if len(set(test_ids)) != len(test_ids) or not seen.keys().isdisjoint(test_ids):
            return False
        if any(map(dict.__contains__, cases, repeat("status"))):
            return False
        # float()/int() of the attribute as _add_case does; a missing or odd value sends the
        # whole list through the per-value function.
        times = list(map(get, cases, repeat("time")))
        try:
            durations: list[float | None] = list(map(float, times))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            durations = list(map(_as_seconds, times))
        line_texts = list(map(get, cases, repeat("line")))
        try:
            lines: list[int | None] = list(map(int, line_texts))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            lines = list(map(_line, line_texts))
        files = list(map(get, cases, repeat("file")))
        if None in files:
            files = [f or "" for f in files]
        base = len(self.rows)
        outcomes = [_PASSED] * len(cases)
        pending = self.pending
        for i, children in kids.items():
            outcomes[i], pending[base + i] = _details(classnames[i], cases[i], children)
        self.rows += map(
            _new_row,
            repeat(CaseRow),
            zip(
                test_ids,
                names,
                classnames,
                repeat(suite),
                outcomes,
                durations,
                files,
                lines,
                strict=False,  # repeat() is endless; the lists all have len(cases) items
            ),
        )
        seen.update(zip(test_ids, range(base, base + len(cases)), strict=True))
        return True

    def _add_case(self, a: dict[str, str], children: Sequence[Child], suite: str) -> None:
        name = a.get("name") or ""
        classname = a.get("classname") or a.get("class") or ""
        line = _line(a.get("line"))
        duration = _as_seconds(a.get("time"))
        if not name:
            self.warnings.append(f"{self.path}: testcase #{len(self.rows) + 1} has no name")
            name = f"<unnamed #{len(self.rows) + 1}>"
        test_id = f"{classname}::{name}" if classname else name
        if not children and "status" not in a:  # the common case: a plain pass
            if test_id in self.seen:
                test_id = self._unique(test_id)
            self.seen[test_id] = len(self.rows)
            self.rows.append(
                CaseRow(
                    test_id, name, classname, suite, _PASSED, duration, a.get("file") or "", line
                )
            )
            return
        outcome, extra = _details(classname, a, children)
        earlier = self.seen.get(test_id)
        if earlier is not None and (
            classname == _JEST_SUITE_ERROR
            or (
                extra.counted_as == (Outcome.PASSED, Outcome.ERROR)
                and self.rows[earlier].outcome is Outcome.FAILED
            )
        ):
            self._merge_into(earlier, extra, jest=classname == _JEST_SUITE_ERROR)
            return
        if earlier is not None:
            test_id = self._unique(test_id)
        index = len(self.rows)
        self.seen[test_id] = index
        self.rows.append(
            CaseRow(test_id, name, classname, suite, outcome, duration, a.get("file") or "", line)
        )
        self.pending[index] = extra

    def _unique(self, test_id: str) -> str:
        # Same name twice in one file (jest titles, a repeated go subtest): still two tests.
        n = 2
        while f"{test_id} #{n}" in self.seen:
            n += 1
        return f"{test_id} #{n}"

    def _merge_into(self, index: int, new: _Extra, *, jest: bool) -> None:
        """Fold a second element for the same test into the first (see ``junit``'s docstring)."""
        old = self.pending.get(index, _NO_EXTRA)
        self.pending[index] = old._replace(
            problems=(*old.problems, *new.problems),
            # pytest: failed call + teardown error
            counted_as=old.counted_as if jest else (Outcome.FAILED, Outcome.ERROR),
            stdout=old.stdout or new.stdout,
            stderr=old.stderr or new.stderr,
        )

    # -- the run ------------------------------------------------------------------------------
    def build(self) -> SuiteRun:
        declared = {**self.suite_counts, **self.node_counts}
        if self.root_tag == "testsuites":
            own = {attr: _as_int(self.root_attrs.get(attr)) for attr in _COUNT_ATTRS}
            if any(v is not None for v in own.values()):
                declared = {k: v for k, v in own.items() if v is not None}
        rows = self.rows
        details: dict[str, TestCase] = {}
        pytest_like = False
        source = self.path
        for index, extra in self.pending.items():
            row = rows[index]
            prefix = _nodeid_prefix(row.classname, row.file) if row.file else None
            pytest_like = pytest_like or prefix is not None
            details[row.test_id] = TestCase(
                test_id=row.test_id,
                name=row.name,
                classname=row.classname,
                suite=row.suite,
                outcome=row.outcome,
                duration=row.duration,
                file=row.file,
                line=row.line,
                counted_as=extra.counted_as,
                problems=extra.problems,
                reruns=extra.reruns,
                properties=extra.properties,
                stdout=extra.stdout,
                stderr=extra.stderr,
                source=source,
                nodeid="" if prefix is None else prefix + row.name,
            )
        fmt = self.fmt
        if fmt == "junit" and (pytest_like or self.root_attrs.get("name") == "pytest tests"):
            fmt = "junit-pytest"
        run = SuiteRun(
            rows=tuple(rows),
            details=details,
            sources=(self.path,),
            fmt=fmt,
            declared=declared,
            warnings=tuple(self.warnings),
        )
        counts = run.counts  # cached on run, which triage goes on to use
        retried = any(c.reruns for c in details.values())
        short = [
            f"{self.path}: the file declares {said} {attr} but has testcases for {have} "
            "(a package or suite that did not build or load leaves no testcase)"
            for attr, have in (("errors", counts.errors), ("failures", counts.failed))
            if (said := declared.get(attr)) is not None and said > have and not retried
        ]
        return replace(run, warnings=(*run.warnings, *short)) if short else run


class _Extra(NamedTuple):
    """What a testcase with children or a ``status`` adds to its row in its ``TestCase``."""

    counted_as: tuple[Outcome, ...]
    problems: tuple[Problem, ...]
    reruns: tuple[Problem, ...]
    properties: tuple[tuple[str, str], ...]
    stdout: str
    stderr: str


_NO_EXTRA = _Extra((), (), (), (), "", "")


def _details(
    classname: str, a: dict[str, str], children: Sequence[Child]
) -> tuple[Outcome, _Extra]:
    """The outcome of a testcase with children or a ``status``, and what its details add."""
    problems, reruns, props, stdout, stderr = _read_children(children)
    if classname == _JEST_SUITE_ERROR:
        problems = [replace(p, phase="collection") for p in problems]
    outcome, counted = _decide(problems, a.get("status", ""))
    return outcome, _Extra(counted, tuple(problems), tuple(reruns), tuple(props), stdout, stderr)


def _read_children(
    children: Sequence[Child],
) -> tuple[list[Problem], list[Problem], list[tuple[str, str]], str, str]:
    problems: list[Problem] = []
    reruns: list[Problem] = []
    props: list[tuple[str, str]] = []
    stdout = stderr = ""
    for child in children:
        tag = child.tag
        kind = _PROBLEM_TAGS.get(tag)
        if kind is not None:
            source = child.stack if child.stack is not None else child.text
            attrs = child.attrs
            message = attrs.get("message") or ""
            problem = Problem(
                kind,
                attrs.get("type") or "",
                clip_text(message, _MESSAGE_LIMIT),
                source.value() if source is not None else "",
                _pytest_phase(kind, message),
            )
            (problems if kind in _FINAL_KINDS else reruns).append(problem)
        elif tag == "system-out" and child.text is not None:
            stdout = child.text.value()
        elif tag == "system-err" and child.text is not None:
            stderr = child.text.value()
        elif tag == "properties":
            props.extend(child.props)
    return problems, reruns, props, stdout, stderr


def _pytest_phase(kind: ProblemKind, message: str) -> str:
    if kind is ProblemKind.ERROR:
        if message.startswith("failed on setup with"):
            return "setup"
        if message.startswith("failed on teardown with"):
            return "teardown"
        if message == "collection failure":
            return "collection"
    return ""


def _decide(problems: list[Problem], status: str) -> tuple[Outcome, tuple[Outcome, ...]]:
    kinds = [p.kind for p in problems]
    if ProblemKind.FAILURE in kinds:
        if ProblemKind.ERROR in kinds:
            return Outcome.FAILED, (Outcome.FAILED, Outcome.ERROR)
        return Outcome.FAILED, (Outcome.FAILED,)
    if ProblemKind.ERROR in kinds:
        if any(p.phase == "teardown" for p in problems):
            return Outcome.ERROR, (Outcome.PASSED, Outcome.ERROR)
        return Outcome.ERROR, (Outcome.ERROR,)
    for p in problems:
        if p.kind is ProblemKind.SKIPPED:
            if p.type == "pytest.xfail":
                return Outcome.XFAILED, (Outcome.XFAILED,)
            if p.message == "xfail-marked test passes unexpectedly":
                return Outcome.XPASSED, (Outcome.XPASSED,)
            return Outcome.SKIPPED, (Outcome.SKIPPED,)
    if status.lower() in _SKIP_STATUS:
        return Outcome.SKIPPED, (Outcome.SKIPPED,)
    return Outcome.PASSED, (Outcome.PASSED,)
