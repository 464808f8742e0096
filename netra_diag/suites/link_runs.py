"""Which recordings in a folder reused by several pytest runs belong to the newest run.

The pytest plugin labels every cassette with its run (``run``: the start time in UTC and a random
suffix, so that the newest sorts last; xdist workers share the controller's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from netra_diag.wording import plural

if TYPE_CHECKING:
    from netra_diag.suites.links import Recording

__all__ = ["latest_run_only"]


def latest_run_only(
    recordings: Mapping[str, tuple[Recording, ...]], source: str, notes: list[str]
) -> Mapping[str, tuple[Recording, ...]]:
    """The recordings of the newest pytest run in the folder (and those with no run label): a
    folder reused by several runs keeps what an earlier run recorded and this one did not
    overwrite (the second session of a test that now opens one), which is no evidence about
    this run's tests."""
    runs = {rec.run for recs in recordings.values() for rec in recs if rec.run}
    if len(runs) < 2:
        return recordings
    latest = max(runs)
    kept: dict[str, tuple[Recording, ...]] = {}
    older: list[Recording] = []
    for tid, recs in recordings.items():
        fresh = tuple(rec for rec in recs if not rec.run or rec.run == latest)
        older += [rec for rec in recs if rec.run and rec.run != latest]
        if fresh:
            kept[tid] = fresh
    earlier = sorted({rec.run for rec in older})
    notes.append(
        f"{source}: {plural(len(older), 'recording')} of {plural(len(earlier), 'earlier run')} "
        f"({', '.join(earlier[:3])}{', ...' if len(earlier) > 3 else ''}; e.g. {older[0].path}) "
        f"left out: only the newest run's ({latest}) are linked to the tests"
    )
    return kept
