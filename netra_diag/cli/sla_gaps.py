"""``sla check``'s checks of the cassettes it is given: each file read once (a folder and its
files named together), none of several unreadable, and warnings for recordings that stop short
(``latency.recording_gaps``): each one named with the line where it stops, up to a few; beyond
them one line counts the rest, so that a cancelled fan-out of 150 users gives four lines, not
150."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["gap_warnings"]

# Cut recordings named one by one; the rest are counted.
NAMED = 3


def gap_warnings(paths: Sequence[Any], frames: Any) -> list[str]:
    """A warning for each cassette that records nothing after its header, or stops mid-session
    (naming the line of its last record), so that a cut recording's unfinished run is not read
    as the service's failure."""
    from netra_diag.errors import RecordingError
    from netra_diag.latency.recording_gaps import recording_gaps
    from netra_diag.recording import load_cassette

    out: list[str] = []
    more: list[str] = []
    for gap in recording_gaps([str(p) for p in paths], frames):
        if gap.records and len(out) >= NAMED:
            more.append(gap.cassette)
            continue
        # Read again (the line is not in the loaded table; a cassette absent from it may be one
        # skipped as unreadable), only for those named and those with no record.
        try:
            records = load_cassette(gap.cassette).records
        except RecordingError:
            continue  # unreadable: skipped with its own warning already
        if len(out) >= NAMED:
            more.append(gap.cassette)
        elif gap.records and records:
            out.append(gap.text(records[-1].lineno))
        elif not records:
            out.append(gap.text())
    if more:
        names = ", ".join(more[:5]) + (", …" if len(more) > 5 else "")
        out.append(
            f"{len(more)} more cassettes stop short as well (no close recorded, or nothing "
            f"after the header): {names}"
        )
    return out


def require_readable(paths: Sequence[Any], frames: Any, given: str) -> None:
    """Raise ``RecordingError`` (on ``given``, the arguments as typed) when not one of several
    ``paths`` could be read (each one skipped): an SLA judged on nothing is a usage error, as
    one unreadable cassette alone is, not "no data" (a folder of empty files read as NOT
    VERIFIED, exit 6, where one empty file exited 2)."""
    from netra_diag.errors import RecordingError
    from netra_diag.recording import load_cassette

    if not frames.empty or not paths:
        return
    reasons = []
    for path in paths:
        try:
            load_cassette(path)
        except RecordingError as exc:
            reasons.append(str(exc))
        else:
            return  # one readable (if empty) recording: judged, and said "no data"
    shown = "; ".join(reasons[:3]) + ("; …" if len(reasons) > 3 else "")
    raise RecordingError(given, f"none of the {len(paths)} cassettes can be read ({shown})")


def distinct_cassettes(paths: Sequence[Any], warnings: list[str], what: str = "") -> list[Any]:
    """``paths`` with each file once: ``runs/ runs/*.jsonl`` names every cassette twice, and read
    twice their runs paired with the copy's marks and counted half of them as never finished."""
    from pathlib import Path

    seen: dict[Path, Any] = {}
    twice: list[str] = []
    for path in paths:
        key = Path(path).resolve()
        if key in seen:
            twice.append(str(path))
        else:
            seen[key] = path
    if twice:
        names = ", ".join(twice[:3]) + (", …" if len(twice) > 3 else "")
        warnings.append(
            f"{what}{len(twice)} cassette{'s' if len(twice) > 1 else ''} given more than once "
            f"(a folder and its files?), read once: {names}"
        )
    return _without_copies(list(seen.values()), warnings, what)


def _without_copies(paths: list[Any], warnings: list[str], what: str) -> list[Any]:
    """``paths`` less byte-for-byte copies of an earlier one (a folder copied beside itself):
    counted twice, their samples made a check look twice as well supported as it is."""
    import hashlib
    import os

    by_size: dict[int, list[Any]] = {}
    for path in paths:
        try:
            by_size.setdefault(os.path.getsize(path), []).append(path)
        except OSError:
            continue  # reported when it is read
    copies: dict[str, str] = {}
    for group in (g for size, g in by_size.items() if len(g) > 1 and size):
        first: dict[str, Any] = {}
        for path in group:
            with open(path, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()
            if digest in first:
                copies[str(path)] = str(first[digest])
            else:
                first[digest] = path
    for copy, original in list(copies.items())[:3]:
        warnings.append(f"{what}{copy} is a byte-for-byte copy of {original}: read once")
    if len(copies) > 3:
        warnings.append(f"{what}{len(copies) - 3} more cassettes are copies of others: read once")
    return [p for p in paths if str(p) not in copies]
