"""A baseline that is, or holds, the run being triaged: its diff compares the run with itself.

A CI script that points ``--baseline`` at the results it just wrote (the same path, a copy
downloaded as an artifact, or a folder of shards that the new results were saved into) gets a
diff where every failure is "still failing", none is new, and the gate passes. Nothing in the
results says so: only their files do. See ``baseline_overlap_notes``.
"""

from __future__ import annotations

import filecmp
import os
from collections.abc import Sequence
from pathlib import Path

from netra_diag.suites.model import SuiteRun
from netra_diag.suites.triage_inputs import Results, result_files

__all__ = ["baseline_overlap_notes"]


def baseline_overlap_notes(results: Results, baseline: Results | None) -> list[str]:
    """A note (or none) when files of ``baseline`` are files of ``results``, the same file or
    the same bytes (two runs' reports differ at least in their times)."""
    if baseline is None:
        return []
    if isinstance(results, SuiteRun) or isinstance(baseline, SuiteRun):
        return _same_run_notes(results, baseline)
    current = result_files(results)
    base = result_files(baseline)
    if not current or not base:
        return []  # (a parsed run, or paths that reading will say are wrong)
    shared = [(b, twin) for b in base if (twin := _twin(b, current)) is not None]
    if not shared:
        return []
    b, twin = shared[0]
    more = f" (and {len(shared) - 1} more)" if len(shared) > 1 else ""
    if len(shared) == len(base):
        return [
            f"the baseline is the run being triaged ({_which(b, twin)}{more}): every failure "
            "reads as still failing, none as new, and nothing as fixed. Give an earlier run's "
            "results as --baseline"
        ]
    return [
        f"baseline: {_which(b, twin)}, of the run being triaged{more}: merged into the "
        "baseline as a shard, it makes the run partly its own baseline. Keep the new results "
        "out of the baseline's folder"
    ]


def _same_run_notes(results: Results, baseline: Results) -> list[str]:
    """For runs read already (the Python API): the same ``SuiteRun`` given as both, or two
    that say they started at the same moment and hold the same results."""
    if not isinstance(results, SuiteRun) or not isinstance(baseline, SuiteRun):
        return []
    if results is baseline:
        which = "one SuiteRun given as both"
    elif results.started and results.started == baseline.started and results.rows == baseline.rows:
        which = f"both started at {results.started} and hold the same results"
    else:
        return []
    return [
        f"the baseline is the run being triaged ({which}): every failure reads as still "
        "failing, none as new, and nothing as fixed. Give an earlier run as the baseline"
    ]


def _which(path: Path, twin: Path) -> str:
    if os.fspath(path) == os.fspath(twin):
        return f"{os.fspath(path)} given as both"
    how = "" if _same_file(path, twin) else ", byte for byte"
    return f"{os.fspath(path)} is {os.fspath(twin)}{how}"


def _twin(path: Path, candidates: Sequence[Path]) -> Path | None:
    for other in candidates:
        if _same_file(path, other) or _same_bytes(path, other):
            return other
    return None


def _same_file(path: Path, other: Path) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def _same_bytes(path: Path, other: Path) -> bool:
    try:
        # (files of different sizes are told apart without being read)
        return filecmp.cmp(path, other, shallow=False)
    except OSError:
        return False
