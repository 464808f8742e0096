"""A finding: one statement of a triage report (``findings.with_findings`` ranks them)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One statement of the report. Lower ``rank`` is worse and comes first."""

    rank: int
    phrase: str  # short, for the headline
    detail: str = ""
    kind: str = ""  # the headline shows one finding per kind
    weak: bool = False  # says that passes prove little (``TriageReport.weak_signals``)
