"""What the children of a JUnit ``<testcase>`` say: its outcome and the details it adds.

A testcase with children (``<failure>``, ``<error>``, ``<skipped>``, reruns, output, properties)
or a ``status`` attribute is decided here, following the runner conventions listed in
``netra_diag.suites.junit``: which problem decides the outcome, how pytest's setup/teardown errors
and xfail/xpass are told apart, and which outcomes the runner's own summary counted it as. The
readers collect the children (``Child``, ``Kids``); ``netra_diag.suites.junit_cases`` turns the
decisions into rows. ``details_of_shape`` decides many testcases of one shape at once for the bulk
reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from itertools import repeat
from typing import NamedTuple

from netra_diag.suites.constructors import new_problem
from netra_diag.suites.model import Outcome, Problem, ProblemKind
from netra_diag.suites.xmlstream import TextBuffer, clip_text

__all__ = [
    "JEST_SUITE_ERROR",
    "NO_EXTRA",
    "NO_KIDS",
    "PROBLEM_TAGS",
    "TEXT_TAGS",
    "Child",
    "Decided",
    "Extra",
    "Kids",
    "decide_details",
    "details_of_shape",
    "kids_of",
    "xdist_crash",
]

_PROBLEM_TAGS = {k.value: k for k in ProblemKind}
PROBLEM_TAGS = frozenset(_PROBLEM_TAGS)
_FINAL_KINDS = frozenset({ProblemKind.FAILURE, ProblemKind.ERROR, ProblemKind.SKIPPED})
TEXT_TAGS = frozenset({*_PROBLEM_TAGS, "system-out", "system-err"})
_ERROR = ProblemKind.ERROR
# jest-junit's testcase for a test file that failed to load: its failure is a collection error.
JEST_SUITE_ERROR = "Test suite failed to run"
_SKIP_STATUS = frozenset({"skipped", "disabled", "notrun", "ignored"})
_MESSAGE_LIMIT = 4096


class Child:
    """One element directly inside a testcase (failure, system-out, properties, …).

    ``text`` collects its character data for failure/error/skip/output elements, ``stack`` that
    of a Surefire ``<stackTrace>`` inside it, ``props`` its ``<property>`` elements. The streaming
    reader collects text in a ``TextBuffer``; the bulk reader sets the (already clipped) string.
    """

    __slots__ = ("attrs", "props", "stack", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.text: TextBuffer | str | None = None
        self.stack: TextBuffer | str | None = None
        self.props: list[tuple[str, str]] = []


class Kids(NamedTuple):
    """The children of one testcase as parallel sequences (tag, attributes, text of a
    failure/output element, text of a Surefire ``<stackTrace>`` in it) and the ``<property>``
    pairs of its ``<properties>``: what decides its outcome and details."""

    tags: Sequence[str]
    attrs: Sequence[Mapping[str, str]]
    texts: Sequence[TextBuffer | str | None]
    stacks: Sequence[TextBuffer | str | None] | None  # None: no <stackTrace> in any of them
    props: Sequence[tuple[str, str]]


def kids_of(children: Sequence[Child]) -> Kids:
    """The ``Kids`` of the children the streaming reader collected."""
    stacks = [c.stack for c in children]
    return Kids(
        [c.tag for c in children],
        [c.attrs for c in children],
        [c.text for c in children],
        stacks if any(s is not None for s in stacks) else None,
        [p for c in children if c.tag == "properties" for p in c.props],
    )


# The outcome of a testcase with children or a status, and what its details add.
Decided = tuple[Outcome, "Extra"]


class Extra(NamedTuple):
    """What a testcase with children or a ``status`` adds to its row in its ``TestCase``."""

    counted_as: tuple[Outcome, ...]
    problems: tuple[Problem, ...]
    reruns: tuple[Problem, ...]
    properties: tuple[tuple[str, str], ...]
    stdout: str
    stderr: str


NO_EXTRA = Extra((), (), (), (), "", "")


NO_KIDS = Kids((), (), (), None, ())
_new_extra = tuple.__new__  # skips NamedTuple's Python-level __new__


def decide_details(classname: str, status: str, kids: Kids) -> tuple[Outcome, Extra]:
    """The outcome of a testcase with children or a ``status``, and what its details add."""
    problems: list[Problem] = []
    reruns: list[Problem] = []
    stdout = stderr = ""
    texts = kids.texts
    sources = texts if kids.stacks is None else map(_source, kids.stacks, texts)
    for tag, attrs, text, source in zip(kids.tags, kids.attrs, texts, sources, strict=True):
        kind = _PROBLEM_TAGS.get(tag)
        if kind is not None:
            message = attrs.get("message") or ""
            if kind is _ERROR and xdist_crash(message):
                kind = ProblemKind.FAILURE  # (pytest counts it "failed", see _XDIST_CRASH)
            problem = new_problem(
                kind,
                attrs.get("type") or "",
                clip_text(message, _MESSAGE_LIMIT),
                _text_of(source),
                _pytest_phase(kind, message) if kind is _ERROR else "",
            )
            (problems if kind in _FINAL_KINDS else reruns).append(problem)
        elif tag == "system-out" and text is not None:
            stdout = _text_of(text)
        elif tag == "system-err" and text is not None:
            stderr = _text_of(text)
    if classname == JEST_SUITE_ERROR:
        problems = [replace(p, phase="collection") for p in problems]
    outcome, counted = _decide(problems, status)
    extra = (counted, tuple(problems), tuple(reruns), tuple(kids.props), stdout, stderr)
    return outcome, _new_extra(Extra, extra)


def details_of_shape(
    tags: Sequence[str],
    classnames: Sequence[str],
    attrs: Callable[[int], tuple[Sequence[str], Sequence[str]]],
    texts: Sequence[Sequence[str]],
) -> list[Decided] | None:
    """What ``decide_details`` makes of many testcases whose children have the same ``tags`` and
    nothing inside them (the text of child ``j`` of testcase ``n``, if it keeps text, is
    ``texts[j][n]``; ``classnames[n]`` is the testcase's), without building their ``Kids``.
    ``attrs(j)`` gives the ``message`` and ``type`` attributes ("" for none) of child ``j`` of
    each testcase. None unless exactly one child is a failure, error or skip and none is an
    earlier attempt: those go through ``decide_details`` one by one."""
    kinds = [_PROBLEM_TAGS.get(tag) for tag in tags]
    at = [j for j, kind in enumerate(kinds) if kind is not None]
    if len(at) != 1 or JEST_SUITE_ERROR in classnames:
        return None
    kind = kinds[at[0]]
    if kind not in _FINAL_KINDS:
        return None
    assert kind is not None
    messages, types = attrs(at[0])
    # Each stdout/stderr element replaces the one before, as in decide_details.
    outputs = [
        texts[j] if (j := _last(tags, tag)) is not None else repeat("")
        for tag in ("system-out", "system-err")
    ]
    out: list[Decided] = []
    append = out.append
    empty = ()
    error = kind is _ERROR
    limit = _MESSAGE_LIMIT
    # (repeat("") is endless; the columns all have one item per testcase)
    for message, ptype, text, stdout, stderr in zip(
        messages, types, texts[at[0]], *outputs, strict=False
    ):
        own = kind
        if error and xdist_crash(message):
            own = ProblemKind.FAILURE  # (pytest counts it "failed", see _XDIST_CRASH)
        phase = _pytest_phase(own, message) if error else ""
        if len(message) > limit:
            message = clip_text(message, limit)
        problem = new_problem(own, ptype, message, text, phase)
        outcome, counted = _decide_one(own, ptype, message, phase)
        append((outcome, _new_extra(Extra, (counted, (problem,), empty, empty, stdout, stderr))))
    return out


def _last(tags: Sequence[str], tag: str) -> int | None:
    found = [j for j, t in enumerate(tags) if t == tag]
    return found[-1] if found else None


def _source(
    stack: TextBuffer | str | None, text: TextBuffer | str | None
) -> TextBuffer | str | None:
    return stack if stack is not None else text


def _text_of(text: TextBuffer | str | None) -> str:
    if text is None:
        return ""
    return text if isinstance(text, str) else text.value()


# pytest-xdist reports the test a worker was running when the worker died (a crash, os._exit)
# with when="???"; pytest counts it "failed", its JUnit writer an <error> "failed on setup with"
# (every report of a failure not in the call is one). It did not fail in its set-up.
_XDIST_CRASH = "failed on setup with \"worker '"


def xdist_crash(message: str) -> bool:
    """Whether a pytest JUnit ``<error>`` message is the one of a crashed xdist worker's test."""
    return message.startswith(_XDIST_CRASH) and "' crashed while running '" in message


def _pytest_phase(kind: ProblemKind, message: str) -> str:
    if kind is _ERROR:
        if message.startswith("failed on setup with"):
            return "setup"
        if message.startswith("failed on teardown with"):
            return "teardown"
        if message == "collection failure":
            return "collection"
    return ""


def _decide(problems: list[Problem], status: str) -> tuple[Outcome, tuple[Outcome, ...]]:
    kinds = [p.kind for p in problems]
    if any(p.kind is ProblemKind.SKIPPED and p.type == _NODE_TODO for p in problems):
        # node runs a todo test and writes its failure, but counts it as "todo", not "fail"
        return Outcome.SKIPPED, (Outcome.SKIPPED,)
    if ProblemKind.FAILURE in kinds:
        failed: tuple[Outcome, ...] = (Outcome.FAILED,)
        if kinds.count(ProblemKind.FAILURE) > 1:
            if any(_SUBTESTS.match(p.message) for p in problems):
                # pytest's subtests: a <failure> per failed subtest, then the test's own
                # ("contains 2 failed subtests"); pytest counts each: "3 failed"
                failed *= kinds.count(ProblemKind.FAILURE)
            elif all(
                _UNITTEST_SUBTEST.search(p.text[:2000])
                for p in problems
                if p.kind is ProblemKind.FAILURE
            ):
                # pytest 9 and a unittest.TestCase's self.subTest: a <failure> per failed
                # subtest and none of the test's own, which pytest counts "passed": "2 failed,
                # 1 passed" (the test still fails here: its subtests did)
                failed = (*failed * kinds.count(ProblemKind.FAILURE), Outcome.PASSED)
        if ProblemKind.ERROR in kinds:
            return Outcome.FAILED, (*failed, Outcome.ERROR)
        return Outcome.FAILED, failed
    if ProblemKind.ERROR in kinds:
        # pytest counts reports: each error is one ("failed on setup" then "failed on
        # teardown": 2 errors); teardown errors alone follow a call that ended, which counts too
        teardown = sum(p.kind is _ERROR and p.phase == "teardown" for p in problems)
        others = kinds.count(ProblemKind.ERROR) - teardown
        if others:
            return Outcome.ERROR, (Outcome.ERROR,) * (others + teardown)
        ended = [p for p in problems if p.kind is not _ERROR]
        return Outcome.ERROR, (*_decide(ended, "")[1], *(Outcome.ERROR,) * teardown)
    for p in problems:
        if p.kind is ProblemKind.SKIPPED:
            if p.type == "pytest.xfail":
                # (a second: the test's teardown raised, under the same xfail mark)
                xfails = sum(q.type == "pytest.xfail" for q in problems)
                return Outcome.XFAILED, (Outcome.XFAILED,) * xfails
            if p.message == "xfail-marked test passes unexpectedly":
                return Outcome.XPASSED, (Outcome.XPASSED,)
            return Outcome.SKIPPED, (Outcome.SKIPPED,)
    if status.lower() in _SKIP_STATUS:
        return Outcome.SKIPPED, (Outcome.SKIPPED,)
    return Outcome.PASSED, (Outcome.PASSED,)


_NODE_TODO = "todo"  # node's <skipped type="todo">
_SUBTESTS = re.compile(r"contains \d+ failed subtests?$")
# pytest's long traceback of a unittest.TestCase test starts "self = <module.Class
# testMethod=test_x>"; a subtest's quotes the "with self.subTest(" line.
_UNITTEST_SUBTEST = re.compile(r"testMethod=|self\.subTest\(")
_FAILED = (Outcome.FAILED, (Outcome.FAILED,))
_ERRORED = (Outcome.ERROR, (Outcome.ERROR,))
_TORN_DOWN = (Outcome.ERROR, (Outcome.PASSED, Outcome.ERROR))


def _decide_one(
    kind: ProblemKind, type: str, message: str, phase: str
) -> tuple[Outcome, tuple[Outcome, ...]]:
    """``_decide([problem], status)`` for one failure, error or skip, whatever the status
    (tests/suites/test_suites_scan.py compares them)."""
    if kind is ProblemKind.FAILURE:
        return _FAILED
    if kind is _ERROR:
        return _TORN_DOWN if phase == "teardown" else _ERRORED
    if type == "pytest.xfail":
        return Outcome.XFAILED, (Outcome.XFAILED,)
    if message == "xfail-marked test passes unexpectedly":
        return Outcome.XPASSED, (Outcome.XPASSED,)
    return Outcome.SKIPPED, (Outcome.SKIPPED,)
