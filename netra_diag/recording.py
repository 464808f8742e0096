"""Cassettes on disk: the writer (``Recorder``, from ``netra_diag.recording_writer``: append-only,
flushed per line) and the loaders (one file, or many into pandas DataFrames). The line format
itself lives in ``netra_diag.recording_format``.

``reserve_cassettes`` (``netra_diag.recording_reservations``) creates cassette files ahead of
time, for a ``Recorder`` to take over.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from netra_diag.errors import RecordingError
from netra_diag.events.model import TimedEvent
from netra_diag.recording_format import (
    CassetteHeader,
    FrameRecord,
    LineWarning,
    MarkRecord,
    parse_lines,
)
from netra_diag.recording_gzip import GZIP_MAGIC, gunzip_kept
from netra_diag.recording_reservations import ReservedCassette, reserve_cassettes
from netra_diag.recording_tables import (
    EVENT_COLUMNS,
    FRAME_COLUMNS,
    RUN_COLUMNS,
    cassette_rows,
    event_from_record,
)
from netra_diag.recording_writer import Recorder

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "EVENT_COLUMNS",
    "FRAME_COLUMNS",
    "RUN_COLUMNS",
    "Cassette",
    "Frames",
    "Recorder",
    "ReservedCassette",
    "find_cassettes",
    "iter_timed_events",
    "load_cassette",
    "load_frames",
    "reserve_cassettes",
]


@dataclass(frozen=True, slots=True)
class Cassette:
    """A loaded cassette: its header, every readable record in file order, and the warnings for
    lines that could not be read (a truncated last line after a kill, a garbled line)."""

    path: str
    header: CassetteHeader
    records: tuple[FrameRecord | MarkRecord, ...]
    warnings: tuple[LineWarning, ...] = field(default_factory=tuple)

    @property
    def frames(self) -> tuple[FrameRecord, ...]:
        return tuple(r for r in self.records if isinstance(r, FrameRecord))

    @property
    def marks(self) -> tuple[MarkRecord, ...]:
        return tuple(r for r in self.records if isinstance(r, MarkRecord))

    @property
    def user(self) -> str | None:
        return self.header.user


def load_cassette(path: str | os.PathLike[str]) -> Cassette:
    """Read one cassette. Bad lines become ``warnings`` (with line numbers) and are skipped.

    Raises ``RecordingError`` only when the file cannot be opened or has no header line.
    """
    name = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise RecordingError(name, f"cannot read: {exc.strerror or exc}") from exc
    damage = ""
    if raw.startswith(GZIP_MAGIC):
        raw, damage = gunzip_kept(raw)
    # A file that ends with a newline splits into a last item that is blank: parse_lines tells
    # a cut last line by its absence.
    lines = raw.split(b"\n")
    header, records, warnings = parse_lines(lines)
    if damage:
        warnings.append(LineWarning(len(lines), damage))
    if header is None:
        first = str(warnings[0]) if warnings else "empty file"
        what = "unreadable header" if "header:" in first else "no header"
        raise RecordingError(name, f"not a cassette: {what} on line 1 ({first})", line=1)
    return Cassette(name, header, tuple(records), tuple(warnings))


def iter_timed_events(cassette: Cassette) -> list[TimedEvent]:
    """Incoming frames as ``TimedEvent``s (``t`` in seconds since the cassette started,
    ``index`` the position among incoming frames)."""
    out: list[TimedEvent] = []
    for rec in cassette.records:
        if isinstance(rec, FrameRecord) and rec.dir == "in":
            out.append(TimedEvent(event_from_record(rec), rec.t_ns / 1e9, rec.wall, len(out)))
    return out


class Frames(NamedTuple):
    """``load_frames`` result: three DataFrames with the columns documented in
    docs/cassette-format.md (``FRAME_COLUMNS`` + ``label_*``, ``EVENT_COLUMNS``,
    ``RUN_COLUMNS``)."""

    frames: pd.DataFrame
    events: pd.DataFrame
    runs: pd.DataFrame


def _expand_paths(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            # (and gzip-compressed ones, recording_gzip)
            found = [*p.rglob("*.jsonl"), *p.rglob("*.jsonl.gz")]
            out.extend(sorted(q for q in found if q.is_file()))
        else:
            out.append(p)
    return out


def _named_once(paths: list[Path], on_warning: Callable[[str], None] | None) -> list[Path]:
    """``paths`` with each file once: a folder and one of its files given together (``runs/
    runs/a.jsonl``), read twice, interleaved a cassette's records with themselves and read half
    its runs as never finished."""
    seen: set[Path] = set()
    out: list[Path] = []
    for path in paths:
        try:
            key = path.resolve()
        except OSError:
            key = path
        if key in seen:
            if on_warning is not None:
                on_warning(f"{path}: named more than once: read once")
            continue
        seen.add(key)
        out.append(path)
    return out


def find_cassettes(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> list[Path]:
    """The cassette files named by ``paths``: files as given, directories searched for
    ``*.jsonl``. Raises ``RecordingError`` naming a directory that holds no cassette (an empty
    or mistyped folder would otherwise read as "no data") and when nothing is given at all.
    Files are not opened here; ``load_cassette`` reports those that cannot be read."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise RecordingError("<no paths>", "no cassettes (*.jsonl) given")
    out: list[Path] = []
    for item in items:
        found = _expand_paths(item)
        if not found and Path(item).is_dir():
            raise RecordingError(str(item), "no cassettes (*.jsonl) found")
        out.extend(found)
    return out


def load_frames(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    on_warning: Callable[[str], None] | None = None,
) -> Frames:
    """Load one or many cassettes (files, or directories searched for ``*.jsonl``) into
    ``Frames(frames, events, runs)``. Column sets are stable: ``FRAME_COLUMNS`` (plus one
    ``label_<name>`` column per label seen), ``EVENT_COLUMNS``, ``RUN_COLUMNS``; empty inputs give
    empty frames with those columns.

    Lines that cannot be read are skipped; ``on_warning`` is called once per skipped line (and
    per header problem) with ``"PATH: line N: reason"``, the same text ``trace`` prints, so a
    caller can say that its numbers rest on a damaged recording. With ``on_warning``, a file of
    several that is no cassette at all (no header) is skipped the same way, instead of making
    the rest unreadable; alone, or without ``on_warning``, it raises ``RecordingError``."""
    import pandas as pd

    frame_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    run_rows: list[dict[str, Any]] = []
    label_cols: set[str] = set()
    expanded = _named_once(_expand_paths(paths), on_warning)
    for path in expanded:
        try:
            cas = load_cassette(path)
        except RecordingError as exc:
            if on_warning is None or len(expanded) < 2:
                raise
            on_warning(f"{exc}: skipped")
            continue
        if on_warning is not None:
            for warning in cas.warnings:
                on_warning(f"{cas.path}: {warning}")
        label_cols.update(f"label_{k}" for k in cas.header.labels)
        f, e, r = cassette_rows(cas.path, cas.header, cas.records)
        frame_rows.extend(f)
        event_rows.extend(e)
        run_rows.extend(r)
    frame_cols = [*FRAME_COLUMNS, *sorted(label_cols)]
    frames = pd.DataFrame(frame_rows, columns=frame_cols)
    events = pd.DataFrame(event_rows, columns=list(EVENT_COLUMNS))
    runs = pd.DataFrame(run_rows, columns=list(RUN_COLUMNS))
    return Frames(frames, events, runs)
