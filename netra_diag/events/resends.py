"""Which frames of a run are resends of an earlier one (PROTOCOL.md §5: no event arrives twice).

Two frames are the same event when the service gave them one id, or when their content is the
same apart from the emit time and the envelope (:func:`event_identity`). The same content is not
always a resend, though: an agent may say "Analyzing..." before each of two tool calls, and a
stream sends the chunk "\\n" many times. Content alone makes a resend when it repeats the
previous event of its kind in the run (nothing else of that kind came between: the copy a
server sends again right away, whatever unknown frame slipped in) or repeats an earlier frame
exactly, emit time included (a buffer sent again after a reconnect). Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from netra_diag.events.model import Event, EventKind, TimedEvent

__all__ = ["ResendTracker", "distinct", "event_identity", "exact_identity"]

# Fields that identify a frame when the service sends one; identical ids mean a resend.
_ID_FIELDS = ("event_id", "message_id", "id")
# Fields a resent frame gets anew (the emit time, a per-send correlation id) or that only wrap the
# others (nested envelopes are merged into the top level by parse_frame): not part of the content.
_VOLATILE_FIELDS = frozenset(
    {"timestamp", "correlation_id", "server_id", "payload", "data", "event", "critical"}
)
_ID_MARK = "\x00#"


def _event(te: TimedEvent | Event) -> Event:
    return te.event if isinstance(te, TimedEvent) else te


def event_identity(te: TimedEvent | Event) -> str:
    """What makes two frames the same event: the type plus an id field the service set, else the
    content without emit time and envelope wrappers."""
    event = _event(te)
    fields = event.fields
    for name in _ID_FIELDS:
        value = fields.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            return f"{event.type}{_ID_MARK}{name}\x00{value}"
    content = {k: v for k, v in fields.items() if k not in _VOLATILE_FIELDS}
    try:
        body = json.dumps(content, sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):
        body = event.raw or repr(sorted(map(repr, fields.items())))
    return f"{event.type}\x00{body}"


def exact_identity(te: TimedEvent | Event, identity: str | None = None) -> str:
    """The identity with the emit time: the same frame sent again as it was."""
    key = event_identity(te) if identity is None else identity
    return f"{key}\x00{_event(te).fields.get('timestamp')!r}"


@dataclass
class ResendTracker:
    """Feed one run's events in arrival order; :meth:`resend_of` says which earlier event each
    one repeats (see the module docstring)."""

    first: dict[str, TimedEvent] = field(default_factory=dict)
    exact: set[str] = field(default_factory=set)
    last_of_kind: dict[EventKind, str] = field(default_factory=dict)

    def resend_of(self, te: TimedEvent) -> TimedEvent | None:
        key = event_identity(te)
        exact = exact_identity(te, key)
        kind = te.event.kind
        earlier = self.first.get(key)
        # Without an emit time, "exactly the same frame" cannot be told from the same content.
        stamped = te.event.fields.get("timestamp") is not None
        repeated = earlier is not None and (
            _ID_MARK in key
            or (stamped and exact in self.exact)
            or self.last_of_kind.get(kind) == key
        )
        self.last_of_kind[kind] = key
        if stamped:
            self.exact.add(exact)
        if earlier is None:
            self.first[key] = te
        return earlier if repeated else None


def distinct(events: Iterable[TimedEvent]) -> list[TimedEvent]:
    """One run's ``events`` without resends, first copy kept. Rules about order and pairing look
    at distinct events so that one duplicate is one finding, not three."""
    tracker = ResendTracker()
    return [te for te in events if tracker.resend_of(te) is None]
