"""Tests of one title in several test files, told apart by their file ("… [{file}]"), in one
``jest --json`` document and across shards (``jest --shard=1/2``, ``--shard=2/2``).

jest runs files in its own order (failed and slow ones first), so telling such tests apart by
their order ("#2", as jest-junit's testcases are) would change which is which from run to run.
Each shard's document holds its own files only: its reader cannot know that another shard has
the same title, and with the plain id, merging the shards took the two tests for one seen twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from netra_diag.suites.jest_json_doc import JEST_JSON_FMT
from netra_diag.suites.junit_children import JEST_SUITE_ERROR
from netra_diag.suites.model import CaseRow, SuiteRun, TestCase

__all__ = ["clash_titles", "renamed_rows", "told_by_file"]


def clash_titles(rows: Iterable[CaseRow]) -> set[str]:
    """The titles (``classname::name``) that tests of more than one file have."""
    first: dict[str, str] = {}
    found: set[str] = set()
    for row in rows:
        if row.classname == JEST_SUITE_ERROR:  # (its id holds its file already)
            continue
        title = f"{row.classname}::{row.name}"
        if first.setdefault(title, row.file) != row.file:
            found.add(title)
    return found


def renamed_rows(
    rows: Sequence[CaseRow], details: Mapping[str, TestCase], clash: set[str]
) -> tuple[tuple[CaseRow, ...], dict[str, TestCase]] | None:
    """``rows`` and ``details`` with each test of a ``clash`` title named by its file (the same
    title again in one file: "#2" after it, in the file's order); None when none changes."""
    seen: Counter[tuple[str, str]] = Counter()
    new_ids: dict[str, str] = {}
    for row in rows:
        title = f"{row.classname}::{row.name}"
        if title not in clash or row.classname == JEST_SUITE_ERROR:
            continue
        seen[title, row.file] += 1
        again = seen[title, row.file]
        new_id = f"{title} [{row.file}]{f' #{again}' if again > 1 else ''}"
        if new_id != row.test_id:
            new_ids[row.test_id] = new_id
    if not new_ids:
        return None
    renamed = tuple(row._replace(test_id=new_ids.get(row.test_id, row.test_id)) for row in rows)
    cases = {
        new_ids.get(key, key): replace(case, test_id=new_ids[key]) if key in new_ids else case
        for key, case in details.items()
    }
    return renamed, cases


def told_by_file(runs: Sequence[SuiteRun]) -> Sequence[SuiteRun]:
    """``runs`` with the ids of jest --json tests whose title another shard's file also has made
    "… [{file}]" (a run of the same file twice keeps its ids: the same tests again)."""
    jest = [run for run in runs if run.fmt == JEST_JSON_FMT]
    if len(jest) < 2:
        return runs
    clash = clash_titles(row for run in jest for row in run.rows)
    if not clash:
        return runs
    out: list[SuiteRun] = []
    for run in runs:
        done = renamed_rows(run.rows, run.details, clash) if run.fmt == JEST_JSON_FMT else None
        out.append(run if done is None else replace(run, rows=done[0], details=done[1]))
    return out
