"""Tests that may have been renamed between two runs: a test gone and a test new, defined at
the same place.

Test ids are names (``classname::name``), so a renamed test reads as one removed and one
added. Only the place a test is defined says more: pytest's xunit1 JUnit and pytest-json-report
give each test's file and line (the default xunit2 JUnit, jest and node give none, and then
nothing is paired). A pair is only offered when it is the one reading:

- both runs are of one format (pytest's JUnit counts lines from 0, its JSON from 1: a line
  apart across formats is the same place);
- the gone test and the new one have the same classname (module, class), file and line;
- no other gone or new test is defined there (a parametrised test's cases share their line:
  which old case became which new one cannot be told).

A test deleted and another written in its place pairs too: the report says "possibly".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from netra_diag.suites.model import CaseRow, SuiteRun

__all__ = ["possible_renames", "renamed_since"]

_Place = tuple[str, str, int]


def possible_renames(
    before: SuiteRun, after: SuiteRun, gone: Iterable[str], new: Iterable[str]
) -> tuple[tuple[str, str], ...]:
    """``(old test id, new test id)`` for each test of ``gone`` (in ``before``) that a test of
    ``new`` (in ``after``) is defined in place of (see the module's rules), in ``gone``'s
    order."""
    if not before.fmt or before.fmt != after.fmt:
        return ()
    old_at = _by_place(before.row_by_id.get(tid) for tid in gone)
    if not old_at:
        return ()
    new_at = _by_place(after.row_by_id.get(tid) for tid in new)
    # (old_at is in gone's order: dicts keep the order their keys came in)
    return tuple(
        (olds[0], news[0])
        for place, olds in old_at.items()
        if len(olds) == 1 and len(news := new_at.get(place, [])) == 1
    )


def _by_place(rows: Iterable[CaseRow | None]) -> dict[_Place, list[str]]:
    at: dict[_Place, list[str]] = {}
    for row in rows:
        if row is not None and row.file and row.line is not None:
            at.setdefault((row.classname, row.file, row.line), []).append(row.test_id)
    return at


def renamed_since(
    earlier: Sequence[SuiteRun], current: SuiteRun, gone: Iterable[str]
) -> dict[str, str]:
    """The test of ``current`` that each test of ``gone`` (in ``earlier``, oldest first, and
    not in ``current``) was possibly renamed to, as ``possible_renames`` pairs them against the
    newest earlier run that ran it (there, every test since gone and every test new since is
    weighed: a parametrised test's cases are not paired one by one)."""
    wanted = set(gone)
    if not wanted or not current.fmt:
        return {}
    now = set(current.columns.test_ids)
    pairs: dict[str, str] = {}
    for run in reversed(earlier):
        ids = run.columns.test_ids
        if wanted.isdisjoint(ids):
            continue
        there = set(ids)
        since_gone = [tid for tid in ids if tid not in now]
        since_new = [tid for tid in current.columns.test_ids if tid not in there]
        for old, new in possible_renames(run, current, since_gone, since_new):
            if old in wanted:
                pairs[old] = new
        wanted -= there  # (judged against the newest run that ran it only)
        if not wanted:
            break
    return pairs
