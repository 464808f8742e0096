"""Shortcuts taken for speed give what the plain code gives.

Each fast path in the suite modules is compared here with the plain computation it replaces:
frame lookup from the end of a traceback, number classification, one-problem outcomes, the
descriptor-built model objects, row columns, forked helpers and signing in a child process.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netra_diag.errors import ReportParseError
from netra_diag.suites import (
    Outcome,
    Problem,
    ProblemKind,
    TestCase,
    background,
    frames,
    junit_children,
    load_results,
    signatures,
    triage,
)
from netra_diag.suites.background import BackgroundCall, can_fork
from netra_diag.suites.constructors import new_problem, new_test_case
from netra_diag.suites.frames import innermost_frame
from netra_diag.suites.model import RowColumns, primary_of
from netra_diag.suites.signatures import problem_signature
from netra_diag.suites.signing import Signing

# -- innermost_frame ---------------------------------------------------------------------------


def _reference_innermost(text: str, include_tests: bool = False) -> str:
    """innermost_frame as it reads without its shortcuts: every line from the end, every
    frame pattern, no caches."""
    tail = text[-8192:]
    for start, line in frames._lines_from_end(tail):
        match = frames._FRAME.search(line)
        if match is None:
            continue
        if path := match["py"]:
            frame = (path, match["pyfn"], False)
        elif path := match["pt"]:
            frame = (path, match["ptfn"] or "", True)
        elif path := match["js"]:
            frame = (path, (match["jsfn"] or "").strip(), False)
        elif path := match["java"]:
            if match["javafn"].startswith(frames._JAVA_LIBRARY):
                continue
            frame = (path, match["javafn"].rsplit(".", 1)[-1], False)
        else:
            frame = (match["go"], "", False)
        path, fn, pytest_style = frame
        if frames._is_library(path) or (not include_tests and frames._is_test_path(path)):
            continue
        if not fn and pytest_style:
            fn = frames._function_above(tail[:start], path)
        path = frames._TMP_PREFIX.sub("<tmp>/", path)
        return f"{path}:{fn}" if fn else path
    return ""


_PATHS = [
    "app/core.py",
    "tests/test_x.py",
    "/usr/lib/python3.11/site-packages/w/c.py",
    "/tmp/pytest-1/t0/app.py",
    "src/a b.py",
    "x.py:9",
]
_LINES = st.one_of(
    st.builds(
        "{}:{}: {}".format,
        st.sampled_from(_PATHS),
        st.sampled_from(["12", "0", "١٢", "", "7x"]),
        st.sampled_from(["in f", "in <module>", "TypeError", "in", ""]),
    ),
    st.builds(
        'File "{}", line {}, in {}'.format,
        st.sampled_from(_PATHS),
        st.sampled_from(["3", "x"]),
        st.sampled_from(["g", "<lambda>"]),
    ),
    st.sampled_from(
        [
            "    at run (src/app.js:10:5)",
            "    at node:internal/x.js:1:1",
            "\tat com.acme.Foo.bar(Foo.java:4)",
            "\tat org.junit.Assert.fail(Assert.java:89)",
            "    app_test.go:13: boom",
            "E   AssertionError: expected 1 at 0x7f00",
            "    def helper(x):",
            "    result = await client.run(payload)",
            "failed at step 3",
            "",
            "\r",
        ]
    ),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_LINES, max_size=40), st.booleans())
def test_innermost_frame_reads_what_every_line_from_the_end_says(
    lines: list[str], include_tests: bool
) -> None:
    text = "\n".join(lines)
    assert innermost_frame(text, include_tests=include_tests) == _reference_innermost(
        text, include_tests
    )


@given(st.text(alphabet=st.sampled_from(list("ab.py:0123456789١ in/\tE")), max_size=30))
def test_dropping_a_line_number_never_changes_the_frame_read(line: str) -> None:
    assert frames._frame_of_line(frames._without_line_number(line)) == (frames._frame_of_line(line))


# -- message normalisation --------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from([*"0123456789", "١", "٣", "߀"]), min_size=1))
def test_numbers_are_classified_as_the_general_path_does(word: str) -> None:
    assert signatures._classify_word.__wrapped__(word) == signatures._classify_other(word)


# -- outcomes and model objects ----------------------------------------------------------------


@given(
    st.sampled_from([ProblemKind.FAILURE, ProblemKind.ERROR, ProblemKind.SKIPPED]),
    st.sampled_from(["", "pytest.xfail", "pytest.skip"]),
    st.sampled_from(["", "xfail-marked test passes unexpectedly", "boom"]),
    st.sampled_from(["", "setup", "teardown", "collection"]),
    st.sampled_from(["", "skipped", "disabled", "passed"]),
)
def test_one_problem_decides_as_the_general_rule(
    kind: ProblemKind, ptype: str, message: str, phase: str, status: str
) -> None:
    problem = Problem(kind, ptype, message, "", phase)
    assert junit_children._decide_one(kind, ptype, message, phase) == junit_children._decide(
        [problem], status
    )


def test_descriptor_built_objects_equal_the_dataclass_built_ones() -> None:
    args = (ProblemKind.ERROR, "T", "m", "text", "setup")
    assert new_problem(*args) == Problem(*args)
    problem = Problem(*args)
    fields = (
        "k::t",
        "t",
        "k",
        "s",
        Outcome.ERROR,
        (Outcome.PASSED, Outcome.ERROR),
        1.5,
        "f.py",
        3,
        (problem,),
        (),
        (("a", "b"),),
        "out",
        "err",
        "src",
        "f.py::t",
    )
    fast, slow = new_test_case(*fields), TestCase(*fields)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert dataclasses.replace(fast, name="u") == dataclasses.replace(slow, name="u")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.name = "v"  # type: ignore[misc]
    assert fast.primary is problem and primary_of(Outcome.ERROR, (problem,)) is problem


@pytest.mark.parametrize("outcome", list(Outcome))
@pytest.mark.parametrize("kind", list(ProblemKind))
def test_the_primary_of_one_problem_is_what_the_general_rule_says(
    outcome: Outcome, kind: ProblemKind
) -> None:
    problem = Problem(kind, "T", "m")
    order = (ProblemKind.ERROR, ProblemKind.FAILURE)
    order = order if outcome is Outcome.ERROR else order[::-1]
    expected = next((problem for k in order if problem.kind is k), None)
    assert primary_of(outcome, (problem,)) is expected


def test_a_readers_columns_are_its_rows_transposed(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_text(
        '<testsuites><testsuite name="a"><testcase classname="k" name="x" time="1"/>'
        '<testcase classname="k" name="x"><failure message="m"/></testcase></testsuite>'
        '<testsuite name="b"><testcase name="y" file="f" line="2"/></testsuite></testsuites>'
    )
    run = load_results(path)
    assert run.columns == RowColumns(*zip(*run.rows, strict=True))
    assert dataclasses.replace(run).columns == run.columns


# -- forked helpers ----------------------------------------------------------------------------

needs_fork = pytest.mark.skipif(not can_fork(), reason="no fork here")


def _square_all(numbers: list[int]) -> list[int]:
    return [n * n for n in numbers]


def _collect(messages: object, scale: int) -> list[int]:
    return [m * scale for batch in messages for m in batch]  # type: ignore[attr-defined]


def _fail(_: object) -> int:
    raise RuntimeError("child fails")


# Run in a fresh interpreter: earlier tests leave threads running in this one (a service's
# timer thread, for one), and BackgroundCall rightly refuses to fork a process with threads; with
# a thread started first, it spawns a fresh interpreter instead.
_IN_CHILD = """
import sys, threading
sys.path.insert(0, {tests!r})
from netra_diag.suites.background import BackgroundCall
from test_suites_fast_paths import _collect, _fail, _square_all

if {threaded!r}:
    threading.Thread(target=threading.Event().wait, daemon=True).start()
call = BackgroundCall(_square_all, [1, 2, 3])
assert call.mode == {mode!r} and call.result() == [1, 4, 9]
assert call.result() is None  # read once

assert BackgroundCall(_fail, 1).result() is None
call = BackgroundCall(_collect, 2, inbox=True, inbox_bytes=64)
for batch in ([1, 2], list(range(3, 100))):  # the second one through the pipe
    call.send(batch)
assert call.result() == [n * 2 for n in range(1, 100)]
call = BackgroundCall(_collect, 1, inbox=True)
assert call.apart
call.cancel()
call.send([1])  # nobody listens any more: no error
assert call.result() is None
assert not BackgroundCall(_square_all, [2], spawn=False).apart or not {threaded!r}
print("ok")
"""


@needs_fork
@pytest.mark.parametrize(("threaded", "mode"), [(False, "fork"), (True, "spawn")])
def test_calls_in_a_child_return_results_and_survive_failing_children(
    threaded: bool, mode: str
) -> None:
    code = _IN_CHILD.format(tests=str(Path(__file__).parent), threaded=threaded, mode=mode)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


@pytest.mark.parametrize(("fork", "shared"), [(True, 0), (True, 300), (True, 1 << 20), (False, 0)])
def test_messages_reach_the_function_in_order(fork: bool, shared: int) -> None:
    # (300 bytes of shared memory: the first messages go there, the rest through the pipe)
    call = BackgroundCall(_collect, 10, fork=fork, inbox=True, inbox_bytes=shared)
    for batch in ([1, 2], [3], list(range(4, 2000))):
        call.send(batch)
    assert call.result() == [n * 10 for n in range(1, 2000)]


def _first_only(messages: object) -> list[int]:
    return list(next(iter(messages)))  # type: ignore[call-overload]


@pytest.mark.parametrize("fork", [True, False])
def test_a_closed_inbox_lets_the_child_finish_and_a_call_that_stops_early_still_answers(
    fork: bool,
) -> None:
    # Closed before result(): the child's answer waits in the shared memory.
    call = BackgroundCall(_collect, 3, fork=fork, inbox=True, inbox_bytes=1 << 20)
    call.send(list(range(5000)))
    call.close_inbox()
    call.send([1])  # too late: not seen
    assert call.result() == [n * 3 for n in range(5000)]
    # A function that returns before the inbox is closed answers through the pipe (the parent
    # may still be writing into the shared memory).
    call = BackgroundCall(_first_only, fork=fork, inbox=True, inbox_bytes=1 << 20)
    call.send(list(range(3000)))
    assert call.result() == list(range(3000))


def test_without_fork_the_call_runs_at_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fork", None, raising=False)
    monkeypatch.delattr(os, "fork")
    monkeypatch.setattr(background, "_PASS_FDS", False)  # (as on Windows)
    call = BackgroundCall(_square_all, [4])
    assert not call.apart and call.result() == [16]


def _report(path: Path, cases: int) -> None:
    with path.open("w") as fh:
        fh.write('<testsuites><testsuite name="s">')
        for i in range(cases):
            kind = ("failure", "error")[i % 2]
            fh.write(
                f'<testcase classname="m.C" name="t{i}"><{kind} message="AssertionError: '
                f'got {i} at 0x{i:08x}">m/c.py:{i}: in t{i}\nE   AssertionError: got {i}'
                f"</{kind}></testcase>"
            )
        # pytest's failed call then teardown error: one test, merged; its problems change
        fh.write(
            '<testcase classname="m.C" name="t0"><error message="failed on teardown with '
            '&quot;OSError: x&quot;">t</error></testcase></testsuite></testsuites>'
        )


# (Where threads run, as they do in this process by now, spawn=True spawns a fresh interpreter.)
_HELPERS = [(True, False), (True, True), (False, False)]


@pytest.mark.parametrize(("fork", "spawn"), _HELPERS)
def test_signing_in_a_child_gives_the_signatures_signed_here(
    tmp_path: Path, fork: bool, spawn: bool
) -> None:
    path = tmp_path / "r.xml"
    _report(path, 300)
    signing = Signing(fork=fork, spawn=spawn)
    run = load_results(path, on_failures=signing.feed)
    failing = run.failing()
    signed = signing.result(failing)
    assert signed == {
        c.test_id: problem_signature(c.primary, c.test_id) for c in failing if c.primary
    }
    assert len(signed) == 300


@pytest.mark.parametrize(("fork", "spawn"), _HELPERS)
def test_shards_signed_in_a_child_match_too(tmp_path: Path, fork: bool, spawn: bool) -> None:
    # Merging shards reorders the failing tests and replaces some of them (a retried test's
    # last attempt wins): the signatures signed while reading must still match.
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    _report(first, 40)
    second.write_text(
        '<testsuite name="s"><testcase classname="m.C" name="t7"><failure message="KeyError: '
        'x">m/c.py:1: in t7</failure></testcase><testcase classname="m.C" name="new">'
        '<error message="OSError: 5">e</error></testcase><testcase classname="m.C" name="t3"/>'
        "</testsuite>"
    )
    signing = Signing(fork=fork, spawn=spawn)
    run = load_results([second, first], on_failures=signing.feed)
    failing = run.failing()
    expected = {c.test_id: problem_signature(c.primary, c.test_id) for c in failing if c.primary}
    assert signing.result(failing) == expected


@needs_fork
def test_triage_of_a_large_file_signs_in_a_child_with_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = sys.modules["netra_diag.suites.triage"]  # (the package exports the function)
    path = tmp_path / "r.xml"
    _report(path, 200)
    here = triage([path]).to_text()
    monkeypatch.setattr(module, "_FORK_MIN_BYTES", 1)
    forked: list[bool] = []
    real = module.Signing

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, *, fork: bool = True, spawn: bool = False, **kw: int) -> None:
            forked.append(fork)
            super().__init__(fork=fork, spawn=spawn, **kw)

    monkeypatch.setattr(module, "Signing", Spy)
    assert triage([path]).to_text() == here
    assert forked == [True]


def test_the_cluster_key_fields_survive_marshal() -> None:
    sig = problem_signature(Problem(ProblemKind.FAILURE, "", "ValueError: x 12", "t"), "k::t")
    assert re.fullmatch(r"ValueError\|x <n>\|", sig.key)


@needs_fork
def test_a_report_that_cannot_be_read_leaves_no_child_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = sys.modules["netra_diag.suites.triage"]
    monkeypatch.setattr(module, "_FORK_MIN_BYTES", 1)
    path = tmp_path / "bad.xml"
    _report(path, 50)
    path.write_text(path.read_text()[:-20])  # cut short: not well-formed
    with pytest.raises(ReportParseError, match="not well-formed"):
        triage([path])
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every child forked on the way was reaped
