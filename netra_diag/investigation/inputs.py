"""The recordings a notebook reads, checked before anything is judged, and what was damaged.

:func:`find_cassettes` turns a ``recordings`` parameter (a folder, or comma-separated cassette
files) into cassette paths, and refuses a missing path or a folder holding no cassette: an empty
investigation is not a finding. :func:`damage_caveat` turns the loader's skipped-line warnings
(``recording.load_frames(on_warning=...)``, ``CassetteStream.warnings``) into the caveat a
headline carries, so a truncated recording is never read silently.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

from netra_diag.wording import plural

__all__ = [
    "damage_caveat",
    "find_cassettes",
    "investigation_suite",
    "latency_phases",
    "session_subject",
    "session_transport",
    "suite_inputs",
]

_LINE = re.compile(r"\bline (\d+)")


def find_cassettes(spec: str | os.PathLike[str], *, parameter: str = "recordings") -> list[Path]:
    """The cassettes (``*.jsonl``) a folder holds, or the comma-separated files named
    (``netra_diag.recording.find_cassettes``, which says what is wrong with a folder).

    Raises :class:`~netra_diag.errors.UsageError` naming ``parameter`` for a path that does not
    exist or a folder without a single cassette.
    """
    from netra_diag.errors import RecordingError, UsageError
    from netra_diag.recording import find_cassettes as cassettes_in

    parts = [Path(p.strip()).expanduser() for p in str(spec).split(",") if p.strip()]
    if not parts:
        raise UsageError(f"{parameter}: no cassette named")
    for path in parts:
        if not path.exists():
            raise UsageError(f"{parameter}: {path}: no such file or directory")
    try:
        return cassettes_in(parts)
    except RecordingError as exc:
        raise UsageError(f"{parameter}: {exc}") from None


def damage_caveat(warnings: Iterable[str]) -> str:
    """``"1 recording damaged (00001-user.jsonl line 6)"`` from the loader's warnings (each
    ``"PATH: line N: reason"``); empty when nothing was skipped."""
    damaged: dict[str, list[str]] = {}
    for warning in warnings:
        source, _, rest = str(warning).partition(": ")
        match = _LINE.search(rest)
        damaged.setdefault(Path(source).name, []).append(match.group(1) if match else "?")
    if not damaged:
        return ""
    shown = [f"{name} line {', '.join(lines)}" for name, lines in list(damaged.items())[:3]]
    more = f", +{len(damaged) - 3} more" if len(damaged) > 3 else ""
    return (
        f"{plural(len(damaged), 'recording')} damaged ({'; '.join(shown)}{more}): "
        "unreadable lines were skipped, findings there may come from the damage"
    )


def suite_inputs(results: str, baseline: str) -> tuple[list[str], list[str] | None]:
    """The ``results`` and ``baseline`` parameters of a triage (comma-separated files) as
    lists: both empty, the bundled example and its baseline; ``results`` alone, no baseline.

    A ``baseline`` without ``results`` is refused (:class:`~netra_diag.errors.UsageError`): it
    would compare the bundled example with the user's baseline, which answers nothing.
    """
    from netra_diag.errors import UsageError
    from netra_diag.investigation.analyse import bundled_suite

    current = [p.strip() for p in results.split(",") if p.strip()]
    previous = [p.strip() for p in baseline.split(",") if p.strip()]
    if previous and not current:
        raise UsageError(
            "baseline: given without results, so it would be compared with the bundled "
            "example; pass -p results FILE too"
        )
    if not current:
        return [str(bundled_suite("current"))], [str(bundled_suite("baseline"))]
    return current, previous or None


def investigation_suite(results: str, baseline: str) -> tuple[list[str] | None, list[str] | None]:
    """The ``investigation_report`` notebook's ``results`` and ``baseline`` parameters as
    :func:`~netra_diag.investigation.analyse` takes them: ``"none"``, ``([], None)`` (no
    triage); both empty, ``(None, None)`` (not given: the bundled example only for the demo's
    own recordings, see ``analyse``); otherwise as :func:`suite_inputs`, which refuses a
    ``baseline`` without ``results``."""
    if results.strip() == "none":
        return [], None
    if not results.strip() and not baseline.strip():
        return None, None
    return suite_inputs(results, baseline)


def latency_phases(phases: str, *, parameter: str = "phases") -> list[str]:
    """The comma-separated ``phases`` parameter as a list of phase names
    (``netra_diag.latency.Phase``); an unknown name is refused
    (:class:`~netra_diag.errors.UsageError` naming the known ones), not drawn as an empty
    figure that reads "no samples"."""
    from netra_diag.errors import UsageError
    from netra_diag.latency import Phase

    known = [str(p) for p in Phase]
    chosen = [p.strip() for p in phases.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in known]
    if unknown or not chosen:
        what = f"unknown phase {', '.join(map(repr, unknown))}" if unknown else "no phase named"
        raise UsageError(f"{parameter}: {what}; phases are {', '.join(known)}")
    return chosen


def session_transport(transport: str, *, parameter: str = "transport") -> str:
    """``transport`` if a live session can use it (``auto``, a transport of PROTOCOL.md §2, or
    ``bad:FORMAT`` for a negative check); otherwise
    :class:`~netra_diag.errors.UsageError` naming the choices."""
    from netra_diag.errors import UsageError
    from netra_diag.widgets.session import TRANSPORTS

    value = transport.strip()
    if value not in TRANSPORTS:
        raise UsageError(f"{parameter}: unknown {value!r}; choose one of {', '.join(TRANSPORTS)}")
    return value


def session_subject(sub: str, *, parameter: str = "sub") -> str:
    """``sub`` stripped; an empty one is refused (:class:`~netra_diag.errors.UsageError`), not
    replaced by a default user the caller never asked for."""
    from netra_diag.errors import UsageError

    value = sub.strip()
    if not value:
        raise UsageError(f"{parameter}: the token's subject (user id) is empty; give one")
    return value


def session_timeout(seconds: object, *, parameter: str = "run_timeout") -> float:
    """``seconds`` as a run's timeout if it is a positive, finite number; otherwise
    :class:`~netra_diag.errors.UsageError` naming ``parameter``. (The live session panel declines
    such a timeout with a notice a headless report never shows, and opens nothing.)"""
    from netra_diag.errors import UsageError

    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise UsageError(f"{parameter}: a number of seconds, got {seconds!r}")
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{parameter} must be a positive number of seconds, got {seconds!r}")
    return float(seconds)
