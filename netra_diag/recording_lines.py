"""Building cassette lines (docs/cassette-format.md): header, frame and mark lines, each one JSON
text without the trailing newline, redacted on the way. Pure: times are passed in.

Re-exported by ``netra_diag.recording_format``, which also holds the parser.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from netra_diag.events.model import Event, parse_frame
from netra_diag.recording_redaction import expand_secrets, redact_url
from netra_diag.redaction import scrub, scrub_obj

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "HEAD_BYTES",
    "MAX_TEXT_BYTES",
    "frame_line",
    "header_line",
    "mark_line",
    "scrub_fast",
]

FORMAT_NAME = "netra-cassette"
FORMAT_VERSION = 1
# Frames larger than this are stored as a 1 KiB head plus the SHA-256 of the whole frame.
MAX_TEXT_BYTES = 256 * 1024
HEAD_BYTES = 1024


def _dumps(obj: Mapping[str, Any]) -> str:
    # ensure_ascii keeps every line pure ASCII: a truncated multi-byte character can only ever
    # break the last line, never shift line boundaries. allow_nan=False keeps the file strict JSON.
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str, allow_nan=False)


# The C string encoder behind json.dumps (ASCII output, like ensure_ascii=True).
_enc: Callable[[str], str] = json.encoder.encode_basestring_ascii


def scrub_fast(text: str, secrets: Sequence[str]) -> str:
    """``scrub(text, secrets)``, skipping the regex when it cannot match: every match of
    ``redaction.JWT_PATTERN`` starts with ``eyJ`` or ``ZXlK`` (checked by a property test)."""
    if "eyJ" in text or "ZXlK" in text:
        return scrub(text, secrets)
    for secret in secrets:
        if secret in text:
            return scrub(text, secrets)
    return text


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return value


def header_line(
    *,
    endpoint: str,
    transport: str,
    token_fingerprint: str | None,
    user: str | None,
    tool_version: str,
    started_wall: float,
    labels: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The first line of a cassette. ``endpoint`` is redacted here whatever the caller passed."""
    secret_list = expand_secrets(secrets)
    obj: dict[str, Any] = {
        "kind": "header",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "endpoint": redact_url(endpoint, secret_list),
        "transport": transport,
        "token_fingerprint": token_fingerprint,
        "user": user,
        "tool_version": tool_version,
        "started_wall": _finite(started_wall),
        "labels": {str(k): scrub(str(v), secret_list) for k, v in (labels or {}).items()},
    }
    if extra:
        for key, value in scrub_obj(dict(extra), secret_list).items():
            obj.setdefault(str(key), value)
    return _dumps(obj)


def frame_line(
    direction: str,
    data: str | bytes,
    *,
    t_ns: int,
    wall: float | None,
    secrets: Sequence[str] = (),
    event: Event | None = None,
    max_text_bytes: int = MAX_TEXT_BYTES,
) -> str:
    """One frame (``direction`` ``"in"`` or ``"out"``). ``secrets`` should already be expanded
    (``expand_secrets``) when the caller writes many lines; ``event`` saves a second parse.

    This is the recorder's hot path (one call per frame), so the line is assembled from
    C-encoded JSON strings instead of a dict through ``json.dumps``; the result is the same JSON.
    """
    if not isinstance(data, str):
        return _binary_frame_line(direction, bytes(data), t_ns, wall, max_text_bytes)
    size = len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
    if event is None:
        event = parse_frame(data)
    head = _FRAME_HEAD.get(direction) or f'{{"kind":"frame","dir":{_enc(direction)},"t_ns":'
    parts = [f'{head}{int(t_ns)},"wall":{_num(wall)},"size":{size},"type":{_enc(event.type)}']
    fields = event.fields
    for key in _ID_KEYS:
        value = fields.get(key)
        if value is None:
            continue
        if type(value) is not str:
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            value = str(value)
        parts.append(f',"{key}":{_enc(scrub_fast(value, secrets))}')
    if size > max_text_bytes:
        encoded = data.encode("utf-8", "surrogatepass")
        head_text = encoded[:HEAD_BYTES].decode("utf-8", "ignore")
        digest = hashlib.sha256(encoded).hexdigest()
        parts.append(
            f',"text":{_enc(scrub_fast(head_text, secrets))},"truncated":true,"sha256":"{digest}"}}'
        )
    else:
        parts.append(f',"text":{_enc(scrub_fast(data, secrets))}}}')
    return "".join(parts)


_FRAME_HEAD = {d: f'{{"kind":"frame","dir":"{d}","t_ns":' for d in ("in", "out")}
_ID_KEYS = ("run_id", "thread_id", "user_id")


def _binary_frame_line(
    direction: str, raw: bytes, t_ns: int, wall: float | None, max_text_bytes: int
) -> str:
    obj: dict[str, Any] = {"kind": "frame", "dir": direction, "t_ns": int(t_ns)}
    obj.update(wall=_finite(wall), size=len(raw), type="")
    if len(raw) > max_text_bytes:
        obj["b64"] = base64.b64encode(raw[:HEAD_BYTES]).decode()
        obj["truncated"] = True
        obj["sha256"] = hashlib.sha256(raw).hexdigest()
    else:
        obj["b64"] = base64.b64encode(raw).decode()
    return _dumps(obj)


def _num(value: float | None) -> str:
    if value is None or isinstance(value, bool) or not math.isfinite(value):
        return "null"
    return repr(float(value))


def mark_line(
    name: str,
    *,
    t_ns: int,
    wall: float | None,
    data: Mapping[str, Any] | None = None,
    secrets: Sequence[str] = (),
) -> str:
    """One lifecycle mark (``connect_start``, ``upgrade_done``, ``close`` …)."""
    obj: dict[str, Any] = {"kind": "mark", "name": name, "t_ns": int(t_ns), "wall": _finite(wall)}
    obj["data"] = _clean_json(scrub_obj(dict(data or {}), secrets))
    return _dumps(obj)


def _clean_json(obj: Any) -> Any:
    # Non-finite floats are not JSON; tuples and other iterables become lists via scrub_obj.
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _clean_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean_json(v) for v in obj]
    return obj
