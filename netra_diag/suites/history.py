"""The runs of a history folder: which entries are runs, in which order, read or left out.

A folder of CI artifacts: results files and folders of shards, one run each, named by build
number or by ids that say nothing of time; the run being triaged, or copies of it, may sit there
too, and an artifact may be cut short. See ``ordered_history``.
"""

from __future__ import annotations

import filecmp
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from netra_diag.errors import ReportParseError
from netra_diag.suites.merge import load_results, require_directory
from netra_diag.suites.model import SuiteRun
from netra_diag.suites.run_order import in_time_order, sorted_by_name, unsure_order
from netra_diag.wording import plural

__all__ = [
    "history_entries",
    "load_history",
    "ordered_history",
    "unreadable_note",
]


def history_entries(
    directory: str | os.PathLike[str], *, besides: Sequence[str | os.PathLike[str]] = ()
) -> list[Path]:
    """The runs of a history directory in name order, numbers in names read as numbers
    (``run_order.sorted_by_name``: "build-9" before "build-10"): results files, and folders of
    shards.

    ``besides``: the run being triaged. CI often keeps the newest run in the history folder too,
    or a copy of it (downloaded as an artifact); an entry that is one of these files or folders
    is left out, and so is the newest entry when its bytes are those of one of these files, or
    that run would count twice. (Only the newest: two older runs whose reports have no
    timestamps can be alike byte for byte and still be two runs.) The history folder itself
    given as the run being triaged is an error: its runs would be read as shards of one
    run, and again as its history (a ``ReportParseError``, as for other unusable results paths:
    exit 2 on the command line)."""
    root = require_directory(directory, "a history of runs")
    if any(_same_file(root, other) for other in besides):
        raise ReportParseError(
            os.fspath(directory),
            "the results to triage and the --history folder at once: its runs would be merged "
            "as shards of one run. Give the run to triage as a file or folder of its own (the "
            f"newest, say: {_newest_example(root)} --history {os.fspath(directory)})",
        )
    found = sorted_by_name(_candidates(root))
    kept = [
        p
        for p in found
        if not any(_same_file(p, other) for other in besides) and not _shards_of(p, besides)
    ]
    if kept and any(_same_bytes(kept[-1], other) for other in besides):
        kept.pop()
    return kept


def _shards_of(entry: Path, besides: Sequence[str | os.PathLike[str]]) -> bool:
    """Whether ``entry``, a folder of shards, holds a file of ``besides``: the run being
    triaged, given as its shard files (``run-6/*.xml``), not as its folder. (A shard belongs
    to one run: the folder is that run, which would count twice.)"""
    if not besides or not entry.is_dir():
        return False
    files = [f for f in besides if os.path.isfile(f)]
    return any(
        _same_file(shard, other)
        for shard in entry.iterdir()
        if shard.suffix.lower() in (".xml", ".json")
        for other in files
    )


def _candidates(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir() or p.suffix.lower() in (".xml", ".json")]


def _newest_example(root: Path) -> str:
    entries = sorted_by_name(p for p in root.iterdir() if p.suffix.lower() in (".xml", ".json"))
    return os.fspath(entries[-1]) if entries else os.fspath(root / "run.xml")


def _copy_of(entry: Path, besides: Sequence[str | os.PathLike[str]]) -> bool:
    """Whether ``entry`` (a results file, or a folder of shards) is byte for byte files of
    ``besides``: the run being triaged, downloaded again as an artifact."""
    given = [f for other in besides for f in _files_of(Path(other))]
    if not entry.is_dir():
        return any(_same_bytes(entry, other) for other in given)
    shards = _files_of(entry)
    return bool(shards) and all(any(_same_bytes(f, other) for other in given) for f in shards)


def _files_of(path: Path) -> list[Path]:
    """A results file itself, or a folder's results files (its shards)."""
    if not path.is_dir():
        return [path]
    return [f for f in path.iterdir() if f.suffix.lower() in (".xml", ".json") and f.is_file()]


def _same_file(path: Path, other: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(path, other)
    except OSError:
        return False


def _same_bytes(path: Path, other: str | os.PathLike[str]) -> bool:
    try:
        return path.is_file() and os.path.isfile(other) and filecmp.cmp(path, other, shallow=False)
    except OSError:
        return False


def load_history(
    directory: str | os.PathLike[str],
    *,
    besides: Sequence[str | os.PathLike[str]] = (),
    on_file: Callable[[Path], None] | None = None,
) -> list[SuiteRun]:
    """One run per entry of ``directory``: a results file, or a folder of shards, except the run
    being triaged (``besides``, see ``history_entries``); in the order they started when every
    report says when, else in name order (``ordered_history``). ``on_file``: see
    ``load_results``."""
    return ordered_history(directory, besides=besides, on_file=on_file)[0]


def ordered_history(
    directory: str | os.PathLike[str],
    *,
    besides: Sequence[str | os.PathLike[str]] = (),
    on_file: Callable[[Path], None] | None = None,
) -> tuple[list[SuiteRun], str]:
    """``load_history``'s runs, and a note ("" if none) naming the runs that cannot be read
    (left out: a truncated artifact of one old build must not stop the triage of this one; all
    of them unreadable raises the first one's error), and saying when the order the reports'
    own start times give is not the name order (the artifacts' names do not follow time).

    A copy of the run being triaged (``besides``), or of another run of the folder (an artifact
    downloaded twice), whose report says when it started is left out wherever its name sorts:
    two runs do not start at the same microsecond."""
    runs: list[SuiteRun] = []
    unreadable: list[ReportParseError] = []
    started: dict[str, list[Path]] = {}  # (files by start stamp: only those can be copies)
    copies: list[tuple[Path, Path]] = []
    for path in history_entries(directory, besides=besides):
        try:
            run = load_results(path, on_file=on_file)
        except ReportParseError as exc:
            unreadable.append(exc)
            continue
        if run.started and _copy_of(path, besides):
            continue
        twin = next((p for p in started.get(run.started, ()) if _same_bytes(path, p)), None)
        if twin is not None:
            copies.append((path, twin))
            continue
        if run.started:
            started.setdefault(run.started, []).append(path)
        runs.append(run)
    if unreadable and not runs:
        raise unreadable[0]
    notes = [unreadable_note(unreadable, len(runs))] if unreadable else []
    if not runs and not unreadable and not _candidates(Path(directory)):
        # (a folder of the wrong level: "no flaky tests" would sound like a finding)
        notes.append(
            f"history: {os.fspath(directory)} holds no run (results files, or folders of "
            "shards): flakiness is judged on this run alone"
        )
    if copies:
        path, twin = copies[0]
        more = (
            f" (and {plural(len(copies) - 1, 'more copy', 'more copies')})"
            if len(copies) > 1
            else ""
        )
        notes.append(f"history: {path} is {twin} byte for byte, the same run: counted once{more}")
    ordered, moved = in_time_order(runs)
    if moved:
        notes.append(
            f"the runs in {os.fspath(directory)} are taken in the order they started, as their "
            "reports say, not in the order of their names"
        )
    elif unsure := unsure_order(runs):
        notes.append(
            f"the runs in {os.fspath(directory)} are taken in the order of their names, but "
            f"{unsure}: a flip in a test's history may be one of order"
        )
    return ordered, "; ".join(notes)


def unreadable_note(errors: Sequence[ReportParseError], judged: int) -> str:
    rest = f"flakiness is judged over the other {plural(judged, 'earlier run')}"
    if len(errors) == 1:
        return f"history: {errors[0]}: that run is left out, {rest}"
    shown = "; ".join(str(e) for e in errors[:2])
    more = f"; +{len(errors) - 2} more" if len(errors) > 2 else ""
    return f"history: {len(errors)} runs cannot be read and are left out ({shown}{more}): {rest}"
