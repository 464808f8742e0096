"""Helpers spawned where forking is unsafe (other threads run, as in a Jupyter kernel) do the
work themselves and give what it gives in this process: expat's check of a file, the signing of
failures, and so a whole triage.

Each test starts a thread first, so that ``BackgroundCall`` cannot fork, and checks that the
helper answered: a helper that failed would yield None, and the callers' fallback (doing the
work here) would hide it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netra_diag.suites import background, junit, signatures, triage
from netra_diag.suites.background import BackgroundCall
from netra_diag.suites.model import Problem, ProblemKind
from netra_diag.suites.signing import _sign_sent
from netra_diag.suites.xmlcheck import check_open_file, check_xml

pytestmark = pytest.mark.skipif(os.name != "posix", reason="spawned helpers need pass_fds")


@pytest.fixture
def thread_running() -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _report(path: Path, cases: int) -> None:
    with path.open("w") as fh:
        fh.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="s">')
        for i in range(cases):
            if i % 3:
                fh.write(f'<testcase classname="m.C" name="t{i}" time="0.{i % 10}"/>\n')
            else:
                fh.write(
                    f'<testcase classname="m.C" name="t{i}" time="1"><failure message="'
                    f'AssertionError: got {i} at 0x{i:08x}">src/m.py:{i}: in run\n'
                    f"E   AssertionError: got {i}</failure></testcase>\n"
                )
        fh.write("</testsuite></testsuites>\n")


def test_a_spawned_checker_checks_the_file_it_was_handed_even_if_the_path_is_replaced(
    tmp_path: Path, thread_running: None
) -> None:
    path = tmp_path / "r.xml"
    _report(path, 300)
    original = path.read_bytes()
    with path.open("rb") as fh:
        (tmp_path / "bad.xml").write_bytes(original[:-30])  # not well-formed
        os.replace(tmp_path / "bad.xml", path)
        call = BackgroundCall(check_open_file, fh.fileno(), pass_fds=(fh.fileno(),))
        assert call.mode == "spawn"
        found = call.result()
    assert found == check_xml(original) == (True, original.count(b"<"))
    assert check_xml(path.read_bytes())[0] is False


def test_a_spawned_signer_signs_what_it_is_sent(thread_running: None) -> None:
    problems = [
        ("m.C::t1", "failure", "", "AssertionError: got 12 at 0x7f0012", "src/m.py:3: in f", ""),
        ("m.C::t2", "error", "", 'failed on setup with "OSError: [Errno 111] x"', "e", "setup"),
    ]
    call = BackgroundCall(_sign_sent, inbox=True, inbox_bytes=1 << 16)
    assert call.mode == "spawn"
    call.send(problems[:1])
    call.send(problems[1:])
    expected = []
    for tid, kind, ptype, message, text, phase in problems:
        sig = signatures.problem_signature(
            Problem(ProblemKind(kind), ptype, message, text, phase), tid
        )
        expected.append([sig.exc_type, sig.message, sig.frame, sig.raw_message])
    assert [list(row) for row in call.result()] == expected


def test_without_memfd_the_inbox_is_an_unlinked_temporary_file(
    thread_running: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # As on macOS: no memfd_create. The shared memory is then a temporary file, gone from the
    # directory as soon as it is open.
    monkeypatch.delattr(os, "memfd_create", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    problems = [("m.C::t1", "failure", "", "AssertionError: got 12", "src/m.py:3: in f", "")]
    call = BackgroundCall(_sign_sent, inbox=True, inbox_bytes=1 << 16)
    assert call.mode == "spawn" and call._shared is not None
    assert list(tmp_path.iterdir()) == []
    call.send(problems)
    sig = signatures.problem_signature(
        Problem(ProblemKind.FAILURE, "", *problems[0][3:]), "m.C::t1"
    )
    assert [list(row) for row in call.result()] == [
        [sig.exc_type, sig.message, sig.frame, sig.raw_message]
    ]


def test_a_triage_where_threads_run_gives_the_report_made_without_helpers(
    tmp_path: Path, thread_running: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.xml"
    _report(path, 3000)
    monkeypatch.setattr(background, "can_run_apart", lambda *_, **__: "")
    alone = triage([path])
    monkeypatch.undo()
    module = sys.modules["netra_diag.suites.triage"]  # (the package exports the function)
    monkeypatch.setattr(junit, "BULK_MIN_BYTES", 1)
    monkeypatch.setattr(junit, "SPAWN_MIN_BYTES", 1)
    monkeypatch.setattr(module, "SPAWN_MIN_BYTES", 1)
    monkeypatch.setattr(module, "_FORK_MIN_BYTES", 1)
    answers: list[tuple[str, bool]] = []
    real = BackgroundCall.result

    def spy(self: BackgroundCall) -> object:
        mode, found = self.mode, real(self)
        answers.append((mode, found is not None))
        return found

    monkeypatch.setattr(BackgroundCall, "result", spy)
    helped = triage([path])
    assert sorted(answers) == [("spawn", True), ("spawn", True)]  # checker and signer
    assert helped.to_text() == alone.to_text()
    assert helped.to_dict() == alone.to_dict()


def _length(value: object) -> int:
    return len(str(value))


def test_arguments_a_spawned_child_cannot_get_keep_the_call_in_this_process(
    thread_running: None,
) -> None:
    unsendable = BackgroundCall(_length, object())  # not marshal-able
    assert unsendable.mode == "" and unsendable.result() > 0
    large = BackgroundCall(_length, "x" * (1 << 20))  # too long for a command line
    assert large.mode == "" and large.result() == 1 << 20
    small = BackgroundCall(_length, "x")
    assert small.mode == "spawn" and small.result() == 1


def test_a_call_dropped_unread_stops_its_child(thread_running: None) -> None:
    call = BackgroundCall(_length, "x")
    process = call._process
    assert process is not None
    del call
    assert process.returncode is not None  # stopped and reaped
