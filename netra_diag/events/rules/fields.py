"""Required fields per event type, after envelope normalisation (PROTOCOL.md §5 table)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from netra_diag.events.model import TimedEvent
from netra_diag.events.rules.base import (
    ContractContext,
    FieldGroups,
    Finding,
    Rule,
    Severity,
    describe,
    finding,
)
from netra_diag.events.runs import assign_runs

__all__ = ["check_required_fields", "missing_fields"]


def missing_fields(fields: Mapping[str, object], groups: FieldGroups) -> list[tuple[str, ...]]:
    """The groups of which no alternative is present with a non-null value."""
    return [group for group in groups if all(fields.get(name) is None for name in group)]


def _names(groups: Sequence[tuple[str, ...]]) -> str:
    parts = []
    for group in groups:
        if not group:
            continue
        text = repr(group[0])
        if len(group) > 1:
            text += " (or " + ", ".join(repr(n) for n in group[1:]) + ")"
        parts.append(text)
    return ", ".join(parts)


def check_required_fields(
    events: Sequence[TimedEvent], context: ContractContext
) -> Iterator[Finding]:
    """Each critical event carries the fields the mission-critical suite requires (an error) and
    those the schema also wants (a note)."""
    config = context.config
    runs = assign_runs(events)
    for te, run in zip(events, runs, strict=True):
        for table, severity, what in (
            (config.required_fields, Severity.ERROR, "required"),
            (config.recommended_fields, Severity.INFO, "recommended"),
        ):
            groups = table.get(te.type)
            if not groups:
                continue
            missing = missing_fields(te.event.fields, groups)
            if not missing:
                continue
            noun = "field" if len(missing) == 1 else "fields"
            where = f" (run {run})" if run is not None else ""
            yield finding(
                Rule.MISSING_FIELD,
                severity,
                f"{describe(te)} lacks {what} {noun} {_names(missing)}{where}",
                run,
                (te,),
            )
