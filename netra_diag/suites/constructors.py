"""Constructors of the model's records for the readers, which build thousands of them.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``; these set the
slots through their descriptors, which builds the same objects (a test compares them) in less
time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import fields
from itertools import repeat

from netra_diag.suites.model import Outcome, Problem, ProblemKind, TestCase

__all__ = ["new_problem", "new_test_case", "new_test_cases"]

_new = object.__new__
_PROBLEM_FIELDS = ("kind", "type", "message", "text", "phase")
_CASE_FIELDS = (
    "test_id",
    "name",
    "classname",
    "suite",
    "outcome",
    "counted_as",
    "duration",
    "file",
    "line",
    "problems",
    "reruns",
    "properties",
    "stdout",
    "stderr",
    "source",
    "nodeid",
)
assert tuple(f.name for f in fields(Problem)) == _PROBLEM_FIELDS
assert tuple(f.name for f in fields(TestCase)) == _CASE_FIELDS
_p_kind, _p_type, _p_message, _p_text, _p_phase = (
    Problem.__dict__[name].__set__ for name in _PROBLEM_FIELDS
)
_CASE_SETTERS = tuple(TestCase.__dict__[name].__set__ for name in _CASE_FIELDS)
(
    _c_test_id,
    _c_name,
    _c_classname,
    _c_suite,
    _c_outcome,
    _c_counted_as,
    _c_duration,
    _c_file,
    _c_line,
    _c_problems,
    _c_reruns,
    _c_properties,
    _c_stdout,
    _c_stderr,
    _c_source,
    _c_nodeid,
) = _CASE_SETTERS


def new_problem(kind: ProblemKind, type: str, message: str, text: str, phase: str) -> Problem:
    """``Problem(kind, type, message, text, phase)``, faster."""
    p: Problem = _new(Problem)
    _p_kind(p, kind)
    _p_type(p, type)
    _p_message(p, message)
    _p_text(p, text)
    _p_phase(p, phase)
    return p


def new_test_case(
    test_id: str,
    name: str,
    classname: str,
    suite: str,
    outcome: Outcome,
    counted_as: tuple[Outcome, ...],
    duration: float | None,
    file: str,
    line: int | None,
    problems: tuple[Problem, ...],
    reruns: tuple[Problem, ...],
    properties: tuple[tuple[str, str], ...],
    stdout: str,
    stderr: str,
    source: str,
    nodeid: str,
) -> TestCase:
    """``TestCase(...)`` with every field given (``counted_as`` not empty), faster."""
    c: TestCase = _new(TestCase)
    _c_test_id(c, test_id)
    _c_name(c, name)
    _c_classname(c, classname)
    _c_suite(c, suite)
    _c_outcome(c, outcome)
    _c_counted_as(c, counted_as)
    _c_duration(c, duration)
    _c_file(c, file)
    _c_line(c, line)
    _c_problems(c, problems)
    _c_reruns(c, reruns)
    _c_properties(c, properties)
    _c_stdout(c, stdout)
    _c_stderr(c, stderr)
    _c_source(c, source)
    _c_nodeid(c, nodeid)
    return c


def new_test_cases(columns: Sequence[Sequence[object]]) -> list[TestCase]:
    """``new_test_case`` for many tests at once, given as one column per field in the order of
    ``TestCase``'s fields (all of the same length): each field is set for every test in one
    C loop (``map`` over the slot's setter), not by a Python call per test and field, which
    was most of the time of building a 100k-case run's details."""
    size = len(columns[0]) if columns else 0
    out: list[TestCase] = list(map(_new, repeat(TestCase, size)))
    for setter, column in zip(_CASE_SETTERS, columns, strict=True):
        deque(map(setter, out, column), maxlen=0)
    return out
