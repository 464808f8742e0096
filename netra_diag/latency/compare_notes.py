"""Notes on a comparison whose verdict is "within noise": the two ways that verdict can mislead.

- The interval excludes zero but the change is under the floors: a real shift, too small to
  matter (``compare``'s docstring says why the floors exist).
- The change is large enough to matter but its interval spans zero: the samples cannot tell it
  from noise either way. Calling that "within noise" alone reads as "no change", when a few
  more samples may well show a regression (a p95 306 ms → 2.2 s with an interval of
  -125 ms…+2 s is no evidence of stability).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from netra_diag.latency.units import format_shift

__all__ = ["INCONCLUSIVE", "UNCONFIRMED", "inconclusive_part", "noise_notes"]


class _Change(Protocol):
    """What a note reads of ``compare.Delta``."""

    @property
    def delta(self) -> float: ...
    @property
    def ci_low(self) -> float: ...
    @property
    def ci_high(self) -> float: ...
    @property
    def usable(self) -> bool: ...


C = TypeVar("C", bound=_Change)

# How the note of a large change the samples cannot confirm starts (headlines count them).
INCONCLUSIVE = "inconclusive"
UNCONFIRMED = "a change too large to ignore that the samples cannot confirm"


def noise_notes(
    labelled: Sequence[tuple[str, C]],
    matters: Callable[[C], bool],
    floors: tuple[float, float],
) -> list[str]:
    """The notes of a group judged within noise: ``labelled`` holds (label, ``Delta``) pairs,
    ``matters`` tells a change large enough to call, ``floors`` are (relative, absolute ms)."""
    notes = []
    usable = [(label, d) for label, d in labelled if d.usable]
    real = [(label, d) for label, d in usable if d.ci_low > 0 or d.ci_high < 0]
    if real:
        label, d = real[0]
        min_rel, min_abs = floors
        notes.append(
            f"{label} shift of {format_shift(d.delta)} is outside the interval's noise but "
            f"under the floor ({min_rel:.0%} of the baseline and {min_abs:g} ms)"
        )
    wide = [(label, d) for label, d in usable if (label, d) not in real and matters(d)]
    if wide:
        label, d = wide[0]
        notes.append(
            f"{INCONCLUSIVE}: the {label} moved {format_shift(d.delta)} but its interval "
            f"{format_shift(d.ci_low)}…{format_shift(d.ci_high)} spans zero: these samples "
            "cannot tell that change from noise; more samples would"
        )
    return notes


def inconclusive_part(names: Sequence[str]) -> str:
    """The headline's part on the groups within noise whose change was large but whose interval
    spans zero (at most four named)."""
    more = f" +{len(names) - 4}" if len(names) > 4 else ""
    named = ", ".join(names[:4]) + more
    return f"of those within noise {len(names)} {INCONCLUSIVE} ({named}: {UNCONFIRMED})"
