"""Normalise every server frame into one ``Event``, whatever envelope the service generation used.

PROTOCOL.md §5 lists five envelope variants (a)–(e). ``parse_frame`` never raises: a frame that is
not JSON, not an object, or of a type we do not know becomes an ``Event`` whose ``kind`` says
so, with ``problem`` describing what was wrong. Contract checks then decide whether that matters.

How a frame's envelope is told and merged is :mod:`netra_diag.events.envelopes`; the frame types
(critical, terminal, agent, control, error, requests, aliases) are
:mod:`netra_diag.events.event_names`. Their names stay importable from here.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from netra_diag.events.envelopes import Envelope
from netra_diag.events.envelopes import detect as _detect
from netra_diag.events.envelopes import fill_nulls as _fill_nulls
from netra_diag.events.envelopes import loads as _loads
from netra_diag.events.envelopes import merge as _merge
from netra_diag.events.event_names import (
    AGENT_EVENTS,
    CONTROL_EVENTS,
    CRITICAL_EVENTS,
    ERROR_EVENTS,
    REQUEST_TYPES,
    TERMINAL_EVENTS,
    TYPE_ALIASES,
)

__all__ = [
    "AGENT_EVENTS",
    "CONTROL_EVENTS",
    "CRITICAL_EVENTS",
    "ERROR_EVENTS",
    "REQUEST_TYPES",
    "TERMINAL_EVENTS",
    "TYPE_ALIASES",
    "Envelope",
    "Event",
    "EventKind",
    "TimedEvent",
    "new_event",
    "new_timed_event",
    "parse_frame",
    "parse_timestamp",
]


class EventKind(StrEnum):
    AGENT = "agent"
    CONTROL = "control"
    ERROR = "error"
    UNKNOWN = "unknown"  # valid JSON object of a type we do not know
    INVALID = "invalid"  # not JSON, not an object, or no type at all


@dataclass(frozen=True, slots=True)
class Event:
    """One server frame, normalised: ``fields`` is the flat merged view, ``raw`` the text."""

    type: str
    envelope: Envelope
    fields: Mapping[str, Any] = field(default_factory=dict)
    raw: str = ""
    problem: str | None = None

    @property
    def kind(self) -> EventKind:
        if self.envelope is Envelope.INVALID:
            return EventKind.INVALID
        # One dict lookup (asked per event by runs and checks) instead of three set lookups.
        return _KIND_OF_TYPE.get(self.type, EventKind.UNKNOWN)

    @property
    def is_critical(self) -> bool:
        return self.type in CRITICAL_EVENTS

    @property
    def is_terminal(self) -> bool:
        return self.type in TERMINAL_EVENTS

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)

    def _str(self, key: str) -> str | None:
        value = self.fields.get(key)
        return None if value is None else str(value)

    @property
    def run_id(self) -> str | None:
        return self._str("run_id")

    @property
    def thread_id(self) -> str | None:
        return self._str("thread_id")

    @property
    def user_id(self) -> str | None:
        return self._str("user_id")

    @property
    def tool_name(self) -> str | None:
        return self._str("tool_name")

    @property
    def timestamp(self) -> float | None:
        """The server's own timestamp as epoch seconds, whatever format it was sent in."""
        return parse_timestamp(self.fields.get("timestamp"))

    @property
    def duration_s(self) -> float | None:
        """Server-reported tool duration in seconds (``duration`` s, ``execution_time_ms``,
        ``duration_ms``), or None."""
        for key, scale in (("duration", 1.0), ("execution_time_ms", 1e-3), ("duration_ms", 1e-3)):
            value = self.fields.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            if math.isfinite(value):
                return float(value) * scale
        return None

    @property
    def error_code(self) -> str | None:
        return self._str("error_code")


# Later entries win: agent, then control, then error, should a type ever be in several sets.
_KIND_OF_TYPE: dict[str, EventKind] = {
    **dict.fromkeys(ERROR_EVENTS, EventKind.ERROR),
    **dict.fromkeys(CONTROL_EVENTS, EventKind.CONTROL),
    **dict.fromkeys(AGENT_EVENTS, EventKind.AGENT),
}


@dataclass(frozen=True, slots=True)
class TimedEvent:
    """An event as the client saw it: ``t`` is seconds on the client's monotonic clock relative to
    the start of the session or recording (not the server's timestamp, which lives in the event)."""

    event: Event
    t: float
    wall: float | None = None
    index: int = 0

    @property
    def type(self) -> str:
        return self.event.type


# Constructors for the receive path, one call per frame: a frozen dataclass's ``__init__`` sets
# each field through ``object.__setattr__``; these set the slots through their descriptors, which
# builds the same object (a test compares them) in about half the time.
_new = object.__new__
_EVENT_FIELDS = ("type", "envelope", "fields", "raw", "problem")
_TIMED_FIELDS = ("event", "t", "wall", "index")
assert tuple(f.name for f in dataclasses.fields(Event)) == _EVENT_FIELDS
assert tuple(f.name for f in dataclasses.fields(TimedEvent)) == _TIMED_FIELDS
_ev_type, _ev_envelope, _ev_fields, _ev_raw, _ev_problem = (
    Event.__dict__[name].__set__ for name in _EVENT_FIELDS
)
_te_event, _te_t, _te_wall, _te_index = (
    TimedEvent.__dict__[name].__set__ for name in _TIMED_FIELDS
)


def new_event(
    etype: str, envelope: Envelope, fields: Mapping[str, Any], raw: str, problem: str | None
) -> Event:
    """``Event(etype, envelope, fields, raw, problem)``, faster."""
    ev: Event = _new(Event)
    _ev_type(ev, etype)
    _ev_envelope(ev, envelope)
    _ev_fields(ev, fields)
    _ev_raw(ev, raw)
    _ev_problem(ev, problem)
    return ev


def new_timed_event(event: Event, t: float, wall: float | None, index: int) -> TimedEvent:
    """``TimedEvent(event, t, wall, index)``, faster."""
    te: TimedEvent = _new(TimedEvent)
    _te_event(te, event)
    _te_t(te, t)
    _te_wall(te, wall)
    _te_index(te, index)
    return te


def parse_timestamp(value: Any) -> float | None:
    """Epoch seconds from a number (seconds; milliseconds when implausibly large) or ISO 8601."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        return float(value) / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str) and value:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            try:
                return parse_timestamp(float(text))
            except ValueError:
                return None
        if moment.tzinfo is None:
            # The service writes naive ISO strings in UTC.
            from datetime import UTC

            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


def parse_frame(raw: str | bytes | Mapping[str, Any]) -> Event:
    """Normalise one server frame. Never raises."""
    if type(raw) is str:  # the common case first: a text frame off the socket
        text = raw
        try:
            frame: Any = _loads(text)
        except (ValueError, RecursionError) as exc:
            return Event("", Envelope.INVALID, {}, text, f"not valid JSON: {exc}")
        if type(frame) is dict:
            event = _parse_enveloped(frame, text)
            if event is not None:
                return event
    elif isinstance(raw, Mapping):
        frame = raw
        try:
            text = json.dumps(raw, default=str)
        except (TypeError, ValueError):
            text = repr(raw)
    else:
        if isinstance(raw, bytes | bytearray | memoryview):
            text = bytes(raw).decode("utf-8", "replace")
        else:
            text = raw
        try:
            frame = json.loads(text)
        except (ValueError, RecursionError) as exc:
            return Event("", Envelope.INVALID, {}, text, f"not valid JSON: {exc}")
    if type(frame) is not dict and not isinstance(frame, Mapping):
        return Event("", Envelope.INVALID, {}, text, f"JSON {type(frame).__name__}, not an object")
    envelope = _detect(frame)
    etype, merged = _merge(frame, envelope)
    if not etype:
        return Event("", Envelope.INVALID, merged, text, "frame has no 'type' (or 'event') field")
    etype = TYPE_ALIASES.get(etype, etype)
    return new_event(etype, envelope, merged, text, None)


def _parse_enveloped(frame: dict[str, Any], text: str) -> Event | None:
    """``parse_frame``'s answer for the envelopes nearly every frame uses, (a) and (b): a string
    ``type`` and a ``data`` object, no ``payload``, ``event`` or ``critical: true``. ``None`` for
    anything else, which the general path (``_detect``, ``_merge``) handles.

    The receive hot path (one call per frame): what ``_detect`` and ``_merge`` do for these two
    envelopes, with each key looked up once, the merged dict copied from the frame (data's keys
    appended in their order) and the frame's values put back only when the two share a key. A
    property test compares it with the general path."""
    get = frame.get
    data = get("data")
    if type(data) is not dict or "payload" in frame or "event" in frame:
        return None
    ftype = get("type")
    if type(ftype) is not str or not ftype or ftype == "system_message":
        return None
    if get("critical") is True:
        return None
    if type(get("timestamp")) is str or "agent_name" in frame or "run_id" in frame:
        envelope = Envelope.BRIDGE
    else:
        envelope = Envelope.SERVER_MESSAGE
    merged = frame.copy()
    merged.update(data)
    if len(merged) != len(frame) + len(data):  # a shared key: top-level fields win
        merged.update(frame)
        _fill_nulls(merged, frame, data)
    if "results" not in merged and "result" in merged:
        merged["results"] = merged["result"]
    ev: Event = _new(Event)
    _ev_type(ev, TYPE_ALIASES.get(ftype, ftype))
    _ev_envelope(ev, envelope)
    _ev_fields(ev, merged)
    _ev_raw(ev, text)
    _ev_problem(ev, None)
    return ev
