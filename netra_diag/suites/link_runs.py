"""Which recordings in a folder holding several pytest runs' belong to the results' run.

The pytest plugin labels every cassette with its run (``run``: the start time in UTC and a random
suffix, so that the newest sorts last; xdist workers share the controller's).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Mapping
from typing import TYPE_CHECKING

from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.links import Recording

__all__ = ["latest_run_only"]


def latest_run_only(
    recordings: Mapping[str, tuple[Recording, ...]],
    tests: Container[str],
    source: str,
    notes: list[str],
) -> Mapping[str, tuple[Recording, ...]]:
    """The recordings of the pytest run that recorded most of ``tests`` (the newest of those
    that recorded as many), and those with no run label: a folder reused by several runs keeps
    what an earlier run recorded and the next did not overwrite (the second session of a test
    that now opens one), and a cassette copied in from elsewhere is another run's; neither is
    evidence about these results' tests."""
    runs = {rec.run for recs in recordings.values() for rec in recs if rec.run}
    if len(runs) < 2:
        return recordings
    covered: Counter[str] = Counter()
    for tid, recs in recordings.items():
        if tid in tests:
            covered.update({rec.run for rec in recs if rec.run})
    chosen = max(runs, key=lambda run: (covered[run], run))
    kept: dict[str, tuple[Recording, ...]] = {}
    other: list[Recording] = []
    for tid, recs in recordings.items():
        mine = tuple(rec for rec in recs if not rec.run or rec.run == chosen)
        other += [rec for rec in recs if rec.run and rec.run != chosen]
        if mine:
            kept[tid] = mine
    others = sorted({rec.run for rec in other})
    which = "earlier" if max(others) < chosen else "other"
    notes.append(
        f"{source}: {plural(len(other), 'recording')} of {plural(len(others), f'{which} run')} "
        f"({', '.join(others[:3])}{', ...' if len(others) > 3 else ''}; e.g. {other[0].path}) "
        f"left out: linked are those of run {chosen}, which recorded "
        f"{plural(covered[chosen], 'test')} of these results"
    )
    return kept
