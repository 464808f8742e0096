"""The jest-junit XML and the ``jest --json`` of one run, given together (``load_results``).

Their ids agree when jest-junit keeps its default templates (``netra_diag.suites.jest_json``):
the JSON's results then stand, the XML's testcases it holds are left out, and a warning says so.
Counted twice, each test would read as run twice, and a load failure that only the JSON records
would sit beside a run that reads as passing. With other templates the ids differ and nothing
says which testcase is which test; the two files are then told by their times (jest-junit writes
each test's ``duration`` that the JSON holds, in seconds), and a warning says the run is counted
twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from netra_diag.suites.jest_json import JEST_JSON_FMT
from netra_diag.suites.jest_json_shards import told_by_file
from netra_diag.suites.jest_junit import json_answers
from netra_diag.suites.jest_todos import JEST_EXEC_FAILURE
from netra_diag.suites.junit_children import JEST_SUITE_ERROR
from netra_diag.suites.model import Outcome, SuiteRun
from netra_diag.wording import plural

__all__ = ["one_jest_run"]

# The JUnit reader's " #2" after a test id written twice.
_REPEAT = re.compile(r" #\d+$")
# Fewer timed tests than this say nothing: a few 1 ms tests are alike in any two runs.
_ENOUGH = 3


def one_jest_run(runs: Sequence[SuiteRun]) -> Sequence[SuiteRun]:
    """``runs`` with the testcases of each jest-junit report that a ``jest --json`` among them
    also holds left out (the module docstring says why), when they are most of the report's: a
    shard that shares a few titles with another is another shard. A title that files of two
    jest --json shards hold is told by its file first (``jest_json_shards``)."""
    runs = told_by_file(runs)
    jest = [run for run in runs if run.fmt == JEST_JSON_FMT]
    if not jest or len(jest) == len(runs):
        return runs
    ids = {row.test_id for run in jest for row in run.rows}
    # (a title that several files hold is "… [file]" in the JSON, "…", "… #2" in the XML)
    ids |= {f"{row.classname}::{row.name}" for run in jest for row in run.rows}
    # (a load failure's path is from jest's rootDir in both, when the JSON could tell it)
    failed_files = [
        row.file for run in jest for row in run.rows if row.classname == JEST_SUITE_ERROR
    ]
    json_names = ", ".join(s for run in jest for s in run.sources)
    # Files that failed after their tests ran (an afterAll that threw): the JSON names each,
    # jest-junit writes a testcase titled JEST_EXEC_FAILURE for each, in no file's name.
    late = sum(
        1
        for run in jest
        for row in run.rows
        if row.classname == JEST_SUITE_ERROR
        and (case := run.details.get(row.test_id)) is not None
        and case.primary is not None
        and not case.primary.phase
    )
    out: list[SuiteRun] = []
    for run in runs:
        if run.fmt == JEST_JSON_FMT or not run.fmt.startswith("junit"):
            out.append(run)
            continue
        # (jest-junit's warnings whose advice, the run's JSON, is taken)
        kept = _without_unnamed(run.warnings, run.sources)
        if len(kept) < len(run.warnings):
            run = replace(run, warnings=kept)
        shared = {
            row.test_id
            for row in run.rows
            if row.test_id in ids
            or _REPEAT.sub("", row.test_id) in ids
            or (row.classname == JEST_SUITE_ERROR and _names_file(row.name, failed_files))
        }
        shared |= _late_failures(run, late)
        if not shared or 2 * len(shared) < len(run.rows):
            if _same_times(run, jest):
                run = replace(run, warnings=(*run.warnings, _renamed(run, json_names)))
            out.append(run)
            continue
        rows = tuple(row for row in run.rows if row.test_id not in shared)
        said = (
            f"{', '.join(run.sources)} and {json_names} are one jest run in two formats "
            f"({len(shared)} of the XML's {plural(len(run.rows), 'testcase')} are in the JSON): "
            "each test is counted once, as the JSON says (it also records test files that "
            "failed to load)"
        )
        if rows:
            said += f"; {plural(len(rows), 'testcase')} of the XML not in the JSON counted besides"
        out.append(
            SuiteRun(
                rows=rows,
                details={k: v for k, v in run.details.items() if k not in shared},
                sources=run.sources,
                fmt=run.fmt,
                warnings=(*run.warnings, said),
                interrupted=run.interrupted,
            )
        )
    return out


def _without_unnamed(warnings: Sequence[str], sources: Sequence[str]) -> tuple[str, ...]:
    """``warnings`` but those of the jest-junit reports ``sources`` that the JSON answers (its
    suite 'undefined', its tests told apart by their order)."""
    mine = tuple(f"{source}: " for source in sources)
    return tuple(w for w in warnings if not (w.startswith(mine) and json_answers(w)))


def _late_failures(run: SuiteRun, late: int) -> set[str]:
    """The ids of the XML's testcases for failures after a file's tests, as many as the JSON
    holds (more than it holds are another run's)."""
    found = [row.test_id for row in run.rows if JEST_EXEC_FAILURE in row.name]
    return set(found) if len(found) <= late else set()


def _names_file(name: str, files: Sequence[str]) -> bool:
    """Whether jest-junit's ``name`` (a path from rootDir) is one of ``files`` (from rootDir, or
    whole when the JSON could not tell rootDir)."""
    return any(f == name or f.endswith(("/" + name, "\\" + name)) for f in files)


def _times(run: SuiteRun) -> Counter[tuple[Outcome, int]]:
    """The run's passes and failures that took time, as (outcome, ms): a todo jest-junit writes as
    a 0 s pass, a skip and a load failure have none."""
    return Counter(
        (row.outcome, round(row.duration * 1000))
        for row in run.rows
        if row.duration
        and row.outcome in (Outcome.PASSED, Outcome.FAILED)
        and row.classname != JEST_SUITE_ERROR
    )


def _same_times(run: SuiteRun, jest: Sequence[SuiteRun]) -> bool:
    times = _times(run)
    if times.total() < _ENOUGH:
        return False
    return any(_times(other) == times for other in jest)


def _renamed(run: SuiteRun, json_names: str) -> str:
    return (
        f"{', '.join(run.sources)} looks like the jest-junit report of the run in {json_names} "
        "(its passes and failures took the same times) but names its tests otherwise "
        "(jest-junit's classNameTemplate or titleTemplate changed?): both are counted, each "
        "test twice; give triage the JSON alone"
    )
