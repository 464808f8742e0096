"""Reading one server frame: its JSON (:func:`loads`), which of PROTOCOL.md §5's envelope
variants it used (:func:`detect`) and its fields merged into one flat mapping (:func:`merge`).
:func:`netra_diag.events.model.parse_frame` puts these together into an ``Event``; its fast path
for envelopes (a) and (b) does the same work inline. Pure.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any

__all__ = ["Envelope", "detect", "fill_nulls", "is_map", "loads", "merge"]


class Envelope(StrEnum):
    """Which of PROTOCOL.md §5's envelope variants a frame used."""

    SERVER_MESSAGE = "a"  # {"type", "data": {...}, "timestamp": float, "server_id", ...}
    BRIDGE = "b"  # {"type", "run_id", "user_id", "agent_name", "timestamp": ISO, "data": {...}}
    EMITTER = "c"  # flat, "critical": true
    FALLBACK = "d"  # flat, "event" == "type"
    NESTED = "e"  # {"type": "system_message", "event": ..., "payload": {...}}
    PLAIN = "plain"  # flat frame without any of the markers above
    INVALID = "invalid"


# The C scanner behind json.loads, for ``loads`` (typeshed types its argument oddly).
_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)


def loads(text: str) -> Any:
    """``json.loads(text)``: the same value, or the same exception. A frame is one JSON value with
    nothing around it, so the C scanner is called directly (the receive hot path), skipping
    json.loads' BOM check and its leading/trailing whitespace regexes; anything else (leading or
    trailing whitespace, a BOM, invalid JSON) goes through json.loads itself."""
    try:
        value, end = _scan_once(text, 0)
    except (StopIteration, ValueError, RecursionError):
        return json.loads(text)
    if end == len(text):
        return value
    return json.loads(text)


def is_map(value: Any) -> bool:
    # ``json.loads`` only makes dicts; the ABC check (slow) is for callers passing other mappings.
    return type(value) is dict or isinstance(value, Mapping)


def detect(frame: Mapping[str, Any]) -> Envelope:
    """Which envelope variant the decoded ``frame`` used."""
    get = frame.get
    payload = get("payload")
    ftype = get("type")
    if ftype == "system_message" or (
        payload is not None and (type(payload) is dict or isinstance(payload, Mapping))
    ):
        return Envelope.NESTED
    if "event" in frame and get("event") == ftype:
        return Envelope.FALLBACK
    if get("critical") is True:
        return Envelope.EMITTER
    data = get("data")
    if data is not None and (type(data) is dict or isinstance(data, Mapping)):
        if isinstance(get("timestamp"), str) or "agent_name" in frame or "run_id" in frame:
            return Envelope.BRIDGE
        return Envelope.SERVER_MESSAGE
    return Envelope.PLAIN


def merge(frame: Mapping[str, Any], envelope: Envelope) -> tuple[str, dict[str, Any]]:
    """The frame's type ("" when it names none, before aliases) and its fields merged flat."""
    if envelope is Envelope.NESTED:
        merged: dict[str, Any] = dict(frame)
        # Newest generation: the real type is in "event"; payload then data are merged on top,
        # each with what it nests in turn (payload's data, data's payload): the fields of a
        # frame that wraps twice are the run's ids and content all the same, and left nested
        # they would read as missing.
        layers: list[Mapping[str, Any]] = []
        for key, deeper in (("payload", "data"), ("data", "payload")):
            inner = frame.get(key)
            if inner is not None and is_map(inner):
                layers.append(inner)
                nested = inner.get(deeper)
                if nested is not None and is_map(nested):
                    layers.append(nested)
        for layer in layers:
            merged.update({k: v for k, v in layer.items() if k != "type"})
        etype = frame.get("event") or frame.get("type")
        if etype == "system_message":
            for layer in layers:
                named = layer.get("event") or layer.get("type")
                if named:
                    etype = named
                    break
        if etype:
            merged["type"] = etype
    else:
        inner = frame.get("data")
        if inner is not None and (type(inner) is dict or isinstance(inner, Mapping)):
            # Top-level fields win: in (a) and (b) they are the authoritative envelope. Built in C
            # (the receive hot path): frame's keys first, then data's new keys in their order,
            # then frame's values restored over data's; the same dict as a setdefault loop.
            merged = {**frame, **inner}
            merged.update(frame)
            fill_nulls(merged, frame, inner)
        else:
            merged = dict(frame)
        etype = frame.get("type") or frame.get("event")
    if "results" not in merged and "result" in merged:
        merged["results"] = merged["result"]
    return str(etype) if etype is not None else "", merged


def fill_nulls(merged: dict[str, Any], frame: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """Top-level fields win, but a top-level null is no value: a bridge that writes
    ``"run_id": null`` beside ``data.run_id`` has the id in data, and the null would lose it."""
    for key, value in frame.items():
        if value is None and data.get(key) is not None:
            merged[key] = data[key]
