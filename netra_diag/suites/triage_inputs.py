"""What ``triage`` is given: its arguments checked, the files they name and how large those are,
and progress told as the files are read (``netra_diag.suites.triage``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from netra_diag.errors import ReportParseError, UsageError
from netra_diag.suites.merge import expand_paths
from netra_diag.suites.model import SuiteRun

__all__ = [
    "History",
    "ReadProgress",
    "ReadProgressCounter",
    "Results",
    "check_history",
    "check_results",
    "file_sizes",
    "given_paths",
    "result_files",
]

Results = SuiteRun | str | os.PathLike[str] | Sequence[str | os.PathLike[str]]
# Told, before each file is read, of its path, the bytes read so far and the bytes to read in
# all (results, baseline and history); once more at the end with "" and done == total.
ReadProgress = Callable[[str, int, int], None]
# Earlier runs: a folder of them, or each one (a parsed run, a results file, a folder of shards).
History = str | os.PathLike[str] | Sequence[SuiteRun | str | os.PathLike[str]]


def result_files(results: Results | None) -> list[Path]:
    """The files ``results`` names (none for a run already read)."""
    if results is None or isinstance(results, SuiteRun):
        return []
    try:
        return expand_paths([results] if isinstance(results, str | os.PathLike) else results)
    except (OSError, ReportParseError):
        return []  # reading will say what is wrong


def given_paths(results: Results) -> list[str | os.PathLike[str]]:
    """The files and folders ``results`` names, as given (none for a run already read)."""
    if isinstance(results, SuiteRun):
        return []
    return [results] if isinstance(results, str | os.PathLike) else list(results)


def file_sizes(files: Sequence[Path]) -> dict[Path, int]:
    sizes = {}
    for f in files:
        with contextlib.suppress(OSError):  # reading will say what is wrong
            sizes[f] = f.stat().st_size
    return sizes


class ReadProgressCounter:
    """Turns ``load_results``' "about to read this file" into ``ReadProgress`` calls."""

    def __init__(self, report: ReadProgress, files: list[Path], sizes: dict[Path, int]) -> None:
        self._report, self._sizes = report, sizes
        self.total = sum(sizes.get(f, 0) for f in files)  # (a file may be read twice)
        self.done = 0
        self._pending = 0  # the size of the file being read

    def __call__(self, path: Path) -> None:
        self.done += self._pending
        self._pending = self._sizes.get(path, 0)
        self._report(str(path), self.done, self.total)

    def finish(self) -> None:
        self._report("", self.total, self.total)


def is_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike)


def check_not_empty(name: str, value: object) -> None:
    """An empty path (``baseline=os.environ.get("LAST_GREEN", "")``) names the current folder
    to ``Path``: the new results, read as their own baseline, passed the run against itself."""
    items = [value] if is_path(value) else value if isinstance(value, list | tuple) else []
    if any(is_path(item) and not os.fspath(item) for item in items):  # type: ignore[arg-type]
        raise UsageError(f"triage: {name} is an empty path (an unset variable?)")


def check_results(name: str, value: object) -> None:
    check_not_empty(name, value)
    if isinstance(value, SuiteRun) or is_path(value):
        return
    if isinstance(value, Sequence) and not isinstance(value, bytes) and all(map(is_path, value)):
        return
    raise UsageError(
        f"triage: {name} must be a results file or folder, a list of them, or a SuiteRun; got "
        + type(value).__name__
    )


def check_history(value: object) -> None:
    check_not_empty("history", value)
    if is_path(value):
        return
    if (
        isinstance(value, Sequence)
        and not isinstance(value, bytes)
        and all(isinstance(run, SuiteRun) or is_path(run) for run in value)
    ):
        return
    raise UsageError(
        "triage: history must be a folder of earlier runs, or a list of them (each a SuiteRun, "
        "a results file or a folder of shards); got " + type(value).__name__
    )
