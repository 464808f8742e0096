"""Building cassette lines (docs/cassette-format.md): header, frame and mark lines, each one JSON
text without the trailing newline, redacted on the way. Pure: times are passed in.

Re-exported by ``netra_diag.recording_format``, which also holds the parser.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from netra_diag.events.model import Event, parse_frame
from netra_diag.recording_redaction import (
    expand_secrets,
    redact_url,
    scrub_fast,
    unmarked_secrets,
)
from netra_diag.redaction import scrub_obj

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "HEAD_BYTES",
    "MAX_TEXT_BYTES",
    "ReceivedLines",
    "frame_line",
    "frame_line_body",
    "frame_line_prefix",
    "header_line",
    "mark_line",
    "scrub_fast",
]

FORMAT_NAME = "netra-cassette"
FORMAT_VERSION = 1
# Frames larger than this are stored as a 1 KiB head plus the SHA-256 of the whole frame.
MAX_TEXT_BYTES = 256 * 1024
HEAD_BYTES = 1024


# ensure_ascii keeps every line pure ASCII: a truncated multi-byte character can only ever break
# the last line, never shift line boundaries. allow_nan=False keeps the file strict JSON. One
# encoder for every line (json.dumps with options builds a new one per call).
# The C string encoder behind json.dumps (ASCII output, like ensure_ascii=True).
_enc: Callable[[str], str] = json.encoder.encode_basestring_ascii
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=str, allow_nan=False)
# The C encoder behind it, made once: ``JSONEncoder.encode`` builds a new one on every call, which
# is a third of the cost of a small mark line. No circular-reference markers: every object given
# to it was rebuilt acyclic by ``_clean_json`` / ``_clean_flat`` (a cycle fails there first).
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODER: Callable[[Any, int], Sequence[str]] | None = (
    None
    if _make_c_encoder is None
    else _make_c_encoder(None, str, _enc, None, ":", ",", False, False, False)
)


def _dumps(obj: Mapping[str, Any]) -> str:
    return _ENCODER.encode(obj)


def _dumps_clean(obj: Any) -> str:
    """``_dumps`` for an object already cleaned (acyclic, finite floats, str keys)."""
    if _C_ENCODER is None:
        return _ENCODER.encode(obj)
    return "".join(_C_ENCODER(obj, 0))


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
    if not extra and type(transport) is str and type(tool_version) is str:
        # One per session: assembled as text, the part every session of a fan-out shares
        # (up to the transport) kept once. The same JSON as ``_dumps`` of the object below.
        head = _header_head(redact_url(endpoint, secret_list, expanded=True), transport)
        shown = ",".join(
            f"{_enc(str(k))}:{_enc(scrub_fast(str(v), secret_list))}"
            for k, v in (labels or {}).items()
        )
        return (
            f'{head}"token_fingerprint":{_text_or_json(token_fingerprint)},'
            f'"user":{_text_or_json(user)},"tool_version":{_enc(tool_version)},'
            f'"started_wall":{_num_or_json(started_wall)},"labels":{{{shown}}}}}'
        )
    obj: dict[str, Any] = {
        "kind": "header",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "endpoint": redact_url(endpoint, secret_list, expanded=True),
        "transport": transport,
        "token_fingerprint": token_fingerprint,
        "user": user,
        "tool_version": tool_version,
        "started_wall": _finite(started_wall),
        "labels": {str(k): scrub_fast(str(v), secret_list) for k, v in (labels or {}).items()},
    }
    if extra:
        for key, value in scrub_obj(dict(extra), secret_list).items():
            obj.setdefault(str(key), value)
    return _dumps(obj)


@functools.lru_cache(maxsize=64)
def _header_head(endpoint: str, transport: str) -> str:
    """A header line up to and including its ``transport`` member (``endpoint`` redacted)."""
    return (
        f'{{"kind":"header","format":{_enc(FORMAT_NAME)},"version":{FORMAT_VERSION},'
        f'"endpoint":{_enc(endpoint)},"transport":{_enc(transport)},'
    )


def _text_or_json(value: Any) -> str:
    """``value`` in JSON: a str encoded directly, ``None`` as null, anything else encoded."""
    if type(value) is str:
        return _enc(value)
    return "null" if value is None else _ENCODER.encode(value)


def _num_or_json(value: Any) -> str:
    """A number in JSON, non-finite ones as null (``_finite``), as ``json.dumps`` writes it."""
    if type(value) is float and value - value == 0.0:
        return repr(value)
    return _dumps_clean(_finite(value))


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
    if type(data) is not str and not isinstance(data, str):
        return _binary_frame_line(direction, bytes(data), t_ns, wall, max_text_bytes)
    if event is None:
        event = parse_frame(data)
    if not isinstance(secrets, tuple):
        secrets = tuple(secrets)
    return frame_line_prefix(direction, t_ns, wall) + frame_line_body(
        data, event, secrets, max_text_bytes
    )


def frame_line_prefix(direction: str, t_ns: int, wall: float | None) -> str:
    """The start of a frame line up to and including ``"wall":…,``: the same for every frame of
    one network read (one arrival time), so a batch builds it once (``frame_line_body``)."""
    head = _FRAME_HEAD.get(direction) or f'{{"kind":"frame","dir":{_enc(direction)},"t_ns":'
    if type(t_ns) is not int:
        t_ns = int(t_ns)
    return f'{head}{t_ns},"wall":{_num(wall)},'


def frame_line_body(
    data: str, event: Event, secrets: tuple[str, ...], max_text_bytes: int = MAX_TEXT_BYTES
) -> str:
    """The rest of a text frame's line after ``frame_line_prefix``: size, type and ids, text."""
    size = len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
    meta = _meta_fragment(event.type, event.fields, secrets)
    if size > max_text_bytes:
        encoded = data.encode("utf-8", "surrogatepass")
        head_text = encoded[:HEAD_BYTES].decode("utf-8", "ignore")
        digest = hashlib.sha256(encoded).hexdigest()
        text = _enc(scrub_fast(head_text, secrets))
        return f'"size":{size},{meta},"text":{text},"truncated":true,"sha256":"{digest}"}}'
    marked = "eyJ" in data or "ZXlK" in data or "ticket=" in data
    if marked or (secrets and unmarked_secrets(secrets)):
        data = scrub_fast(data, secrets)
    return f'"size":{size},{meta},"text":{_enc(data)}}}'


_FRAME_HEAD = {d: f'{{"kind":"frame","dir":"{d}","t_ns":' for d in ("in", "out")}
_ID_KEYS = ("run_id", "thread_id", "user_id")
# (type, run_id, thread_id, user_id, secrets) -> the encoded "type" member and the scrubbed,
# encoded id members of a frame line. They repeat for every frame of a run, so the line builder
# scrubs and encodes them once.
_META_CACHE: dict[tuple[object, ...], str] = {}
_META_CACHE_MAX = 4096


def _meta_fragment(etype: str, fields: Mapping[str, Any], secrets: tuple[str, ...]) -> str:
    get = fields.get
    run_id, thread_id, user_id = values = (get("run_id"), get("thread_id"), get("user_id"))
    # Only str/None values are cached: 1 and True are equal keys but render differently.
    cacheable = (
        (run_id is None or type(run_id) is str)
        and (thread_id is None or type(thread_id) is str)
        and (user_id is None or type(user_id) is str)
    )
    if cacheable:
        key = (etype, run_id, thread_id, user_id, secrets)
        cached = _META_CACHE.get(key)
        if cached is not None:
            return cached
    parts = [f'"type":{_enc(etype)}']
    for name, value in zip(_ID_KEYS, values, strict=True):
        if value is None:
            continue
        if type(value) is not str:
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            value = str(value)
        parts.append(f',"{name}":{_enc(scrub_fast(value, secrets))}')
    fragment = "".join(parts)
    if cacheable:
        if len(_META_CACHE) >= _META_CACHE_MAX:
            _META_CACHE.clear()
        _META_CACHE[key] = fragment
    return fragment


class ReceivedLines:
    """The lines of received text frames for one set of secrets (one recorder's, until it learns
    another secret): what ``frame_line_prefix(...) + frame_line_body(...)`` gives, with the type
    and id members of the frames this builder saw kept here, keyed without the secrets.

    The recorder's per-frame path: one call per frame, which looks the members up, scrubs the
    text only when it can hold a secret (``scrub_fast``'s markers, or a secret without one)
    and builds the line in one f-string. A test compares it with ``frame_line``."""

    __slots__ = ("_meta", "_scrub_all", "secrets")

    def __init__(self, secrets: tuple[str, ...]) -> None:
        self.secrets = secrets
        # A secret without a JWT marker can be anywhere: then every text is scrubbed.
        self._scrub_all = bool(secrets and unmarked_secrets(secrets))
        self._meta: dict[tuple[object, ...], str] = {}

    def line(self, prefix: str, data: str, event: Event) -> str:
        """The line of the text frame ``data`` (parsed as ``event``) after ``prefix``
        (``frame_line_prefix``)."""
        fields = event.fields
        get = fields.get
        run_id = get("run_id")
        thread_id = get("thread_id")
        user_id = get("user_id")
        # Only str/None ids are cached: 1 and True are equal keys but render differently.
        if (
            (run_id is None or type(run_id) is str)
            and (thread_id is None or type(thread_id) is str)
            and (user_id is None or type(user_id) is str)
        ):
            key = (event.type, run_id, thread_id, user_id)
            meta = self._meta.get(key)
            if meta is None:
                meta = _meta_fragment(event.type, fields, self.secrets)
                if len(self._meta) >= _META_CACHE_MAX:
                    self._meta.clear()
                self._meta[key] = meta
        else:
            meta = _meta_fragment(event.type, fields, self.secrets)
        size = len(data) if data.isascii() else len(data.encode("utf-8", "surrogatepass"))
        if size > MAX_TEXT_BYTES:
            return prefix + frame_line_body(data, event, self.secrets)
        if self._scrub_all or "eyJ" in data or "ZXlK" in data or "ticket=" in data:
            data = scrub_fast(data, self.secrets)
        return f'{prefix}"size":{size},{meta},"text":{_enc(data)}}}'


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
    if type(value) is float and value - value == 0.0:  # finite (inf - inf and nan are nan)
        return repr(value)
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
    """One lifecycle mark (``connect_start``, ``upgrade_done``, ``close`` …).

    Called several times per connect, so the line is assembled like ``frame_line``: the fixed
    members as text, ``data`` through the shared C encoder; the result is what ``json.dumps``
    of the whole object would give."""
    secret_tuple = secrets if isinstance(secrets, tuple) else tuple(secrets)
    if type(t_ns) is not int:
        t_ns = int(t_ns)
    if type(wall) is float and wall - wall == 0.0:  # finite: json.dumps writes its repr
        when = repr(wall)
    else:
        when = "null" if wall is None else _dumps_clean(_finite(wall))
    shown = _enc(name) if type(name) is str else _dumps_clean(name)
    body = _data_json(data, secret_tuple) if data else "{}"
    return f'{{"kind":"mark","name":{shown},"t_ns":{t_ns},"wall":{when},"data":{body}}}'


def _data_json(data: Mapping[str, Any], secrets: tuple[str, ...]) -> str:
    """The JSON of ``_clean_flat(data)``. Most mark data is clean already (str keys; str values
    nothing is scrubbed from, ints, finite floats, bools, None, empty lists): then it is encoded
    as it is, without building the cleaned copy."""
    if type(data) is dict:
        unmarked = unmarked_secrets(secrets) if secrets else ()
        for key, value in data.items():
            if type(key) is not str:
                break
            kind = type(value)
            if kind is str:
                # ``scrub_fast``'s test, inline: a marker, or a secret without one, in the text.
                if "eyJ" in value or "ZXlK" in value or "ticket=" in value:
                    break
                if unmarked and any(secret in value for secret in unmarked):
                    break
            elif kind is float:
                if value - value != 0.0:  # inf or nan
                    break
            elif value is None or kind is int or kind is bool:
                continue
            elif (kind is not list and kind is not tuple) or value:  # empty ones are clean
                break
        else:
            return _dumps_clean(data)
    return _dumps_clean(_clean_flat(data, secrets))


def _clean_flat(data: Mapping[str, Any], secrets: tuple[str, ...]) -> dict[str, Any]:
    """``_clean_json(data)`` for the usual mark data (a dict of str, int, finite float, bool or
    None), without the generic walk; anything else goes through ``_clean_json``."""
    if type(data) is not dict:
        return _clean_json(data, secrets)  # type: ignore[no-any-return]
    out: dict[str, Any] = {}
    for key, value in data.items():
        kind = type(value)
        if kind is str:
            value = scrub_fast(value, secrets)
        elif kind is float:
            if value - value != 0.0:  # inf or nan: not JSON
                value = None
        elif value is not None and kind is not int and kind is not bool:
            value = _clean_json(value, secrets)
        out[key if type(key) is str else str(key)] = value
    return out


def _clean_json(obj: Any, secrets: tuple[str, ...]) -> Any:
    """``obj`` ready for a line: strings scrubbed (``scrub_fast``, as ``scrub_obj`` would),
    mappings as dicts with str keys, tuples and lists as lists, non-finite floats (not JSON) as
    ``None``; anything else as is (``_dumps`` writes it with ``str``)."""
    if isinstance(obj, str):
        return scrub_fast(obj, secrets)
    if isinstance(obj, Mapping):
        return {str(k): _clean_json(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean_json(v, secrets) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
