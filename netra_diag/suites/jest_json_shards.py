"""``jest --json`` shards (``jest --shard=1/2``, ``--shard=2/2``): a test title that test files of
two shards hold is told by its file, as ``netra_diag.suites.jest_json`` tells it within one
document ("… [{file}]"). Each shard's document holds its own files only, so its reader cannot
know that another shard has the same title; with the plain id, merging the shards took the two
tests for one seen twice and counted one of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from netra_diag.suites.jest_json import JEST_JSON_FMT
from netra_diag.suites.junit_children import JEST_SUITE_ERROR
from netra_diag.suites.model import SuiteRun

__all__ = ["told_by_file"]

# A test's " #2" after its id: the same titles again in one file.
_REPEAT = re.compile(r" #\d+$")


def told_by_file(runs: Sequence[SuiteRun]) -> Sequence[SuiteRun]:
    """``runs`` with the ids of jest --json tests that another shard's file also has made
    "… [{file}]" (a run of the same file twice keeps its ids: the same tests again)."""
    jest = [run for run in runs if run.fmt == JEST_JSON_FMT]
    if len(jest) < 2:
        return runs
    files: dict[str, set[str]] = {}
    for run in jest:
        for row in run.rows:
            if row.classname != JEST_SUITE_ERROR:  # (its id holds its file already)
                files.setdefault(f"{row.classname}::{row.name}", set()).add(row.file)
    clash = {title for title, held in files.items() if len(held) > 1}
    if not clash:
        return runs
    return [_renamed(run, clash) if run.fmt == JEST_JSON_FMT else run for run in runs]


def _renamed(run: SuiteRun, clash: set[str]) -> SuiteRun:
    """``run`` with each test of a ``clash`` title named by its file (a document that held the
    title in two files named them so already)."""
    new_ids: dict[str, str] = {}
    for row in run.rows:
        title = f"{row.classname}::{row.name}"
        if title not in clash or row.classname == JEST_SUITE_ERROR:
            continue
        again = _REPEAT.search(row.test_id)  # (the same title again in one file)
        new_id = f"{title} [{row.file}]{again.group(0) if again else ''}"
        if new_id != row.test_id:
            new_ids[row.test_id] = new_id
    if not new_ids:
        return run
    rows = tuple(row._replace(test_id=new_ids.get(row.test_id, row.test_id)) for row in run.rows)
    details = {
        new_ids.get(key, key): replace(case, test_id=new_ids[key]) if key in new_ids else case
        for key, case in run.details.items()
    }
    return replace(run, rows=rows, details=details)
