"""jest-junit's ``test.todo``: written as a passing testcase, left out of its suite's count.

jest counts a todo test apart ("1 todo" in its summary), but jest-junit writes it as a plain
``<testcase ... time="0">`` with no child, which reads as a pass, and leaves it out of its
``<testsuite tests=…>`` (jest-junit issue #242). So where a suite of a jest-junit report has more
testcases than it declares, the surplus is todos: when exactly that many of its passes have no
child and took 0 s, they are the todos; otherwise nothing says which they are, and a warning says
how many passes may be todos.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping, Sequence

from netra_diag.suites.model import CaseRow, Outcome, Problem, ProblemKind
from netra_diag.wording import plural

__all__ = ["JEST_EXEC_FAILURE", "JEST_ROOT", "JEST_TODO", "jest_todos"]

# jest-junit's default suiteName: the root <testsuites name="jest tests">.
JEST_ROOT = "jest tests"
# The title of the testcase jest-junit adds to a file whose tests ran but that failed after them
# (an afterAll that threw: jest's testExecError), outside its suite's count like a todo.
JEST_EXEC_FAILURE = "Test execution failure: could be caused by test hooks like 'afterAll'."
JEST_TODO = Problem(ProblemKind.SKIPPED, "todo", "test.todo: not written yet", "", "")


def jest_todos(
    rows: Sequence[CaseRow],
    with_children: Container[int],
    declared: Mapping[str, int],
    path: str,
    skip_classname: str,
) -> tuple[list[int], list[str]]:
    """The rows (indices) that are todos, and warnings for suites where which ones cannot be
    told. ``with_children``: rows whose testcase had children (not plain passes);
    ``declared``: each suite name's declared ``tests``, summed; rows of ``skip_classname``
    (jest-junit's "Test suite failed to run") and jest-junit's testcase for a failure after the
    tests (``JEST_EXEC_FAILURE``) are no tests of the suite."""
    counted: Counter[str] = Counter()
    plain_zero: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        if row.classname == skip_classname or JEST_EXEC_FAILURE in row.name:
            continue
        counted[row.suite] += 1
        if row.outcome is Outcome.PASSED and row.duration == 0 and index not in with_children:
            plain_zero.setdefault(row.suite, []).append(index)
    todos: list[int] = []
    warnings: list[str] = []
    for suite, tests in declared.items():
        surplus = counted[suite] - tests
        if surplus <= 0:
            continue
        candidates = plain_zero.get(suite, [])
        if len(candidates) == surplus:
            todos += candidates
        else:
            warnings.append(
                f"{path}: suite {suite!r} declares {plural(tests, 'test')} but has "
                f"{counted[suite]} testcases: jest-junit writes each test.todo as a passing "
                f"testcase, so {surplus} of its passes may be todos (which, the file does not say)"
            )
    return sorted(todos), warnings
