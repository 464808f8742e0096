"""In which order runs happened: by when their reports say they started, else by name, with the
numbers in names read as numbers.

A history folder of CI artifacts is named by build number ("build-9", "build-10") or by ids that
say nothing of time; plain name order puts build-10 before build-9, and flakiness, read run after
run, then sees flips that never happened. Most reports say when they ran: pytest, jest-junit and
gotestsum write ``<testsuite timestamp=…>``, pytest-json-report its ``created``. When every run
says so, that order is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from netra_diag.suites.model import SuiteRun

__all__ = [
    "earliest_start",
    "in_time_order",
    "natural_key",
    "sorted_by_name",
    "start_from_epoch",
    "started_before",
    "unsure_order",
]

_NUMBER = re.compile(r"(\d+)")
_P = TypeVar("_P", bound=Path)


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key for ``name`` that compares its runs of digits as numbers ("run-9" < "run-10").
    (Each part is tagged with its kind, so that a number never meets a string.)"""
    return tuple(
        (1, int(part)) if part.isdigit() else (0, part.casefold())
        for part in _NUMBER.split(name)
        if part
    )


def sorted_by_name(paths: Iterable[_P]) -> list[_P]:
    """``paths`` in natural name order (``natural_key``), ties by plain name."""
    return sorted(paths, key=lambda p: (natural_key(p.name), p.name))


def _parsed(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def earliest_start(stamps: Iterable[str]) -> str:
    """The earliest of the ISO-8601 ``stamps`` a report's suites carry ("" if none can be read);
    stamps with and without a time zone are not compared (see ``in_time_order``)."""
    parsed = [(when, text) for text in stamps if text and (when := _parsed(text)) is not None]
    pool = [p for p in parsed if p[0].tzinfo is not None] or parsed
    return min(pool)[1] if pool else ""


def start_from_epoch(seconds: object, duration: object = 0) -> str:
    """A POSIX time as an ISO-8601 UTC stamp ("" if none); ``duration`` seconds before it when
    given: pytest-json-report's ``created`` is when the report was written, at the session's
    end, and its ``duration`` how long the session ran (its start is ``created - duration``,
    as pytest's JUnit ``timestamp`` says for the same run)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return ""
    if isinstance(duration, int | float) and not isinstance(duration, bool) and duration > 0:
        seconds -= duration
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


def in_time_order(runs: Sequence[SuiteRun]) -> tuple[list[SuiteRun], bool]:
    """``runs`` ordered by when each started, if every one says when (``SuiteRun.started``) in a
    way they can be compared (all with a time zone, or all without: a stamp without one is local
    time of an unknown place); else as given. Also whether the order changed."""
    when: list[datetime] = []
    for run in runs:
        parsed = _parsed(run.started) if run.started else None
        if parsed is None:
            return list(runs), False
        when.append(parsed)
    if len(runs) < 2 or len({w.tzinfo is not None for w in when}) > 1:
        return list(runs), False
    order = sorted(range(len(runs)), key=when.__getitem__)  # (stable: ties keep name order)
    return [runs[i] for i in order], order != sorted(order)


def started_before(first: str, second: str) -> bool:
    """Whether stamp ``first`` is earlier than ``second``; False when either cannot be read or
    they cannot be compared (one with a time zone, one without)."""
    a, b = _parsed(first) if first else None, _parsed(second) if second else None
    if a is None or b is None or (a.tzinfo is None) != (b.tzinfo is None):
        return False
    return a < b


def unsure_order(runs: Sequence[SuiteRun]) -> str:
    """Why ``runs``, kept as given because not every one says when it started in a comparable
    way (``in_time_order``), are likely out of order: those that can be compared started in
    another order than given. "" when not (or nothing says)."""
    groups: dict[bool, list[datetime]] = {}
    unknown = 0
    for run in runs:
        parsed = _parsed(run.started) if run.started else None
        if parsed is None:
            unknown += 1
        else:
            groups.setdefault(parsed.tzinfo is not None, []).append(parsed)
    if not any(when != sorted(when) for when in groups.values()):
        return ""
    why = [f"{len(groups[True])} with a time zone"] if True in groups else []
    why += [f"{len(groups[False])} without"] if False in groups else []
    why += [f"{unknown} not at all"] if unknown else []
    return (
        f"the reports say when they started in ways that cannot all be compared "
        f"({', '.join(why)}), and those that can started in another order than their names"
    )
