"""Failed subtests in the counts: pytest counts each failed subtest as one "failed" of its own.

A test with one failed subtest (pytest 9's ``subtests`` fixture, pytest-subtests) is "2 failed"
in pytest's summary: the subtest, and the test itself ("contains 1 failed subtest"). A
unittest.TestCase whose ``self.subTest`` failed twice is "2 failed, 1 passed": the subtests, and
the test, which pytest counts as passed. The counts stay pytest's; these say how many of the
"failed" are subtests, so that "0/1 pass; 2 failed" reads "2 failed (1 test, 1 subtest)".

The readers record this in ``TestCase.counted_as`` (``junit_children._decide``,
``pytest_json``): a failing test counted "failed" more than once, or counted "failed" and
"passed", is a test whose subtests failed. No other runner quirk counts one test that way (a
teardown error after a failure is "failed" and "error").
"""

from __future__ import annotations

from collections.abc import Sequence

from netra_diag.suites.model import Counts, Outcome
from netra_diag.wording import plural

__all__ = ["failed_subtests", "noted_summary", "subtests_note"]

_FAILED = Outcome.FAILED
_PASSED = Outcome.PASSED


def failed_subtests(outcome: Outcome, counted_as: Sequence[Outcome]) -> int:
    """How many of the "failed" pytest counted for one test are its subtests' (0 for most)."""
    if outcome is not _FAILED:
        return 0
    failed = counted_as.count(_FAILED)
    if _PASSED in counted_as:
        # unittest's subTest: every "failed" is a subtest's, the test itself counted passed
        return failed
    return failed - 1 if failed > 1 else 0


def subtests_note(failed: int, subtests: int, tests: int) -> str:
    """What the ``failed`` pytest counted are, when ``subtests`` of them are failed subtests of
    ``tests`` tests: ``1 test, 1 subtest``, ``1 test, 4 subtests of 2 tests``; "" for none."""
    if not subtests:
        return ""
    itself = failed - subtests  # tests counted failed themselves (with subtests or not)
    of = f" of {plural(tests, 'test')}" if tests != itself else ""
    parts = [plural(itself, "test")] if itself > 0 else []
    parts.append(plural(subtests, "subtest") + of)
    return ", ".join(parts)


def noted_summary(counts: Counts, subtests: int, tests: int) -> str:
    """``counts.summary()`` with its "failed" explained when some are failed subtests:
    "2 failed (1 test, 1 subtest), 3 passed" ("2 failed" of one test said nothing of the
    subtest pytest counts as a failure)."""
    summary = counts.summary()
    note = subtests_note(counts.failed, subtests, tests)
    head = f"{counts.failed} failed"
    if note and summary.startswith(head):
        return f"{head} ({note}){summary[len(head) :]}"
    return summary
