"""Server events: one normalised model for every envelope variant (PROTOCOL.md §5)."""

from netra_diag.events.model import (
    CRITICAL_EVENTS,
    TERMINAL_EVENTS,
    Envelope,
    Event,
    EventKind,
    TimedEvent,
    parse_frame,
)

__all__ = [
    "CRITICAL_EVENTS",
    "TERMINAL_EVENTS",
    "Envelope",
    "Event",
    "EventKind",
    "TimedEvent",
    "parse_frame",
]
