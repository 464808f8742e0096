"""Signing a large run's failures on the other core, as the reader finds them.

Signing the failures (``netra_diag.suites.signatures``) is the largest piece of a triage's work
after reading the results; for a large report it runs in a forked child
(``netra_diag.suites.background``: forked, or spawned where forking is unsafe), fed while the
parent goes on reading.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter, is_, itemgetter

from netra_diag.suites.background import BackgroundCall
from netra_diag.suites.model import Problem, ProblemKind, TestCase
from netra_diag.suites.signatures import Signature, new_signatures, problem_signature

__all__ = ["Signing"]

_test_id_of = attrgetter("test_id")
_primary_of = attrgetter("primary")
_problems_of = attrgetter("problems")
_first = itemgetter(0)


class Signing:
    """The signatures of a run's failing tests, signed in a forked child as the reader finds
    them (``netra_diag.suites.background``).

    Start one before reading the run and hand ``feed`` to the reader (``load_results``'s
    ``on_failures``): the child signs while this process goes on reading, so that by the time
    the run is read most of the signing is done, on the other core. ``result`` takes each
    failing test's signature from the child if it signed that very problem under that test id
    (a test that a later element merged into may have another primary problem by then), and
    signs the rest here — all of them where forking is not possible, or the child failed.
    """

    def __init__(self, *, fork: bool = True, spawn: bool = False, expected_bytes: int = 0) -> None:
        """``fork``: sign in a child process if one can be forked; ``spawn``: also in a fresh
        interpreter where forking is unsafe (worth its imports only for large runs).
        ``expected_bytes``: about how large the failures' texts are (the size of the files read
        is a bound)."""
        self._sent: list[tuple[str, Problem]] = []
        child = BackgroundCall(
            _sign_sent, fork=fork, spawn=spawn, inbox=True, inbox_bytes=expected_bytes
        )
        # Without a child, result() signs here: nothing is kept for one meanwhile.
        self._child = child if child.apart else None

    def feed(self, failing: list[tuple[str, Problem]]) -> None:
        """Failing tests as the reader finds them: (test id, primary problem) pairs."""
        if self._child is None:
            return
        self._sent += failing
        self._child.send(
            [(tid, p.kind.value, p.type, p.message, p.text, p.phase) for tid, p in failing]
        )

    def done_feeding(self) -> None:
        """The reader is done: the child finishes signing, and hands its result over, while this
        process goes on (``result`` would otherwise be what tells it that no more come)."""
        if self._child is not None:
            self._child.close_inbox()

    def cancel(self) -> None:
        """Stop the child (the run could not be read)."""
        if self._child is not None:
            self._child.cancel()

    def result(self, cases: Sequence[TestCase]) -> dict[str, Signature]:
        """The signatures of ``cases`` (the run's failing tests), by test id."""
        theirs = self._child.result() if self._child is not None else None
        if theirs is not None and len(theirs) == len(self._sent):
            # Usually the child signed exactly these tests' primary problems, in this order:
            # checked, and taken, in C loops.
            test_ids = list(map(_test_id_of, cases))
            if test_ids == [tid for tid, _ in self._sent] and _same_primaries(
                cases, [p for _, p in self._sent]
            ):
                return dict(zip(test_ids, new_signatures(theirs), strict=True))
        signed: dict[str, tuple[Problem, tuple[str, str, str, str]]] = {}
        if theirs is not None and len(theirs) == len(self._sent):
            signed = {
                tid: (problem, fields)
                for (tid, problem), fields in zip(self._sent, theirs, strict=True)
            }
        out: dict[str, Signature] = {}
        for case in cases:
            primary = case.primary
            if primary is None:
                continue
            found = signed.get(case.test_id)
            if found is not None and found[0] is primary:
                out[case.test_id] = Signature(*found[1])
            else:
                out[case.test_id] = problem_signature(primary, case.test_id)
        return out


def _same_primaries(cases: Sequence[TestCase], sent: list[Problem]) -> bool:
    """Whether each of ``cases`` has the problem sent for it as its primary one.

    A sent problem was a failure or error, which is the primary problem of a test that has no
    other: for tests that each have one problem, that it is the one sent is enough (and cheaper
    to check than ``primary``, which looks at the outcome and at every problem)."""
    problems = list(map(_problems_of, cases))
    if problems and min(map(len, problems)) == max(map(len, problems)) == 1:
        return all(map(is_, map(_first, problems), sent))
    return all(map(is_, map(_primary_of, cases), sent))


def _sign_sent(
    batches: Iterator[list[tuple[str, str, str, str, str, str]]],
) -> list[tuple[str, str, str, str]]:
    """Signatures, as plain tuples for ``marshal``, of what ``Signing.feed`` sent (in the child)."""
    out: list[tuple[str, str, str, str]] = []
    for batch in batches:
        for tid, kind, ptype, message, text, phase in batch:
            sig = problem_signature(Problem(ProblemKind(kind), ptype, message, text, phase), tid)
            out.append((sig.exc_type, sig.message, sig.frame, sig.raw_message))
    return out
