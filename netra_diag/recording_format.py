"""The cassette line format (docs/cassette-format.md): build lines, redact them, parse them back.

Pure: no files, sockets or clocks (times are passed in). ``recording.py`` is the file half.

Every builder returns one JSON text without the trailing newline. Everything that may carry a
credential (URLs, handshake headers, frame texts, mark data) goes through ``redact_*`` /
``netra_diag.redaction.scrub`` with the explicit secrets of the session, so neither a JWT nor a
base64url-wrapped JWT nor a raw non-JWT token reaches the file.

``parse_line`` never raises: a line that is not valid JSON, not an object or lacks required fields
becomes a ``LineWarning`` carrying its line number (a killed writer leaves a truncated last line).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from netra_diag.events.model import Event, parse_frame
from netra_diag.redaction import fingerprint, scrub, scrub_obj

__all__ = [
    "CREDENTIAL_QUERY_KEYS",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "HEAD_BYTES",
    "MAX_TEXT_BYTES",
    "SECRET_HEADERS",
    "CassetteHeader",
    "FrameRecord",
    "LineWarning",
    "MarkRecord",
    "Record",
    "expand_secrets",
    "frame_line",
    "header_line",
    "mark_line",
    "parse_line",
    "parse_lines",
    "redact_headers",
    "redact_subprotocol",
    "redact_url",
]

FORMAT_NAME = "netra-cassette"
FORMAT_VERSION = 1
# Frames larger than this are stored as a 1 KiB head plus the SHA-256 of the whole frame.
MAX_TEXT_BYTES = 256 * 1024
HEAD_BYTES = 1024
CREDENTIAL_QUERY_KEYS: frozenset[str] = frozenset(
    {"token", "jwt", "auth_token", "access_token", "ticket", "ticket_id", "api_key", "key"}
)
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_SUBPROTOCOL_PREFIXES = ("jwt.", "jwt-auth.", "bearer.", "staging-auth.")


# ---------------------------------------------------------------------------------------------
# Redaction


def _b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def expand_secrets(secrets: Iterable[str]) -> tuple[str, ...]:
    """The secrets plus the disguises they travel in (base64url without padding, as in
    ``Sec-WebSocket-Protocol: jwt.<b64url>``), longest first so a longer form is replaced whole."""
    out: set[str] = set()
    for secret in secrets:
        if secret and len(secret) >= 4:
            out.add(secret)
            out.add(_b64url(secret))
    return tuple(sorted(out, key=len, reverse=True))


def _scrub(text: str, secrets: Sequence[str]) -> str:
    return scrub(text, secrets)


def redact_url(url: str, secrets: Iterable[str] = ()) -> str:
    """``url`` with credential query values (``token=``, ``jwt=``, ``ticket=`` …) and any userinfo
    password replaced by fingerprints; never raises (an unparsable URL is scrubbed as text)."""
    secret_list = expand_secrets(secrets)
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        netloc = parts.netloc
    except ValueError:
        return _scrub(url, secret_list)
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:<redacted>@{host}" if ":" in userinfo else f"{userinfo}@{host}"
    if query:
        cleaned = [
            (k, fingerprint(v) if k.lower() in CREDENTIAL_QUERY_KEYS and v else v) for k, v in query
        ]
        new_query = urlencode(cleaned, safe="…#<>")
    else:
        new_query = parts.query
    rebuilt = urlunsplit((parts.scheme, netloc, parts.path, new_query, parts.fragment))
    return _scrub(rebuilt, secret_list)


def redact_subprotocol(value: str, secrets: Iterable[str] = ()) -> str:
    """A ``Sec-WebSocket-Protocol`` entry with its token replaced by a fingerprint:
    ``jwt.<b64url>`` → ``jwt.ZXl…#1a2b3c4d``; a bare token longer than 20 characters is
    fingerprinted whole; plain names (``jwt-auth``) are kept."""
    for prefix in _SUBPROTOCOL_PREFIXES:
        if value.startswith(prefix) and len(value) > len(prefix):
            return prefix + fingerprint(value[len(prefix) :])
    if len(value) > 20:
        return fingerprint(value)
    return _scrub(value, expand_secrets(secrets))


def redact_headers(
    headers: Iterable[tuple[str, str]] | Mapping[str, str], secrets: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """Header pairs with credential values fingerprinted (``Authorization: Bearer eyJ…#…``) and
    ``Sec-WebSocket-Protocol`` entries redacted; everything else scrubbed as text."""
    secret_list = expand_secrets(secrets)
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        lname = str(name).lower()
        text = str(value)
        if lname in SECRET_HEADERS:
            scheme, _, cred = text.partition(" ")
            if cred and scheme.isalpha() and len(scheme) < 16:
                text = f"{scheme} {fingerprint(cred)}"
            elif text:
                text = fingerprint(text)
        elif lname == "sec-websocket-protocol":
            text = ", ".join(
                redact_subprotocol(p.strip(), secret_list) for p in text.split(",") if p.strip()
            )
        else:
            text = _scrub(text, secret_list)
        out.append((str(name), text))
    return out


# ---------------------------------------------------------------------------------------------
# Builders


def _dumps(obj: Mapping[str, Any]) -> str:
    # ensure_ascii keeps every line pure ASCII: a truncated multi-byte character can only ever
    # break the last line, never shift line boundaries. allow_nan=False keeps the file strict JSON.
    return json.dumps(obj, ensure_ascii=True, separators=(",", ":"), default=str, allow_nan=False)


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
        "labels": {str(k): _scrub(str(v), secret_list) for k, v in (labels or {}).items()},
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
    (``expand_secrets``) when the caller writes many lines; ``event`` saves a second parse."""
    obj: dict[str, Any] = {"kind": "frame", "dir": direction, "t_ns": int(t_ns)}
    obj["wall"] = _finite(wall)
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        obj["size"] = len(raw)
        obj["type"] = ""
        if len(raw) > max_text_bytes:
            obj["b64"] = base64.b64encode(raw[:HEAD_BYTES]).decode()
            obj["truncated"] = True
            obj["sha256"] = hashlib.sha256(raw).hexdigest()
        else:
            obj["b64"] = base64.b64encode(raw).decode()
        return _dumps(obj)
    encoded = data.encode("utf-8", "surrogatepass")
    size = len(encoded)
    obj["size"] = size
    if event is None:
        event = parse_frame(data)
    obj["type"] = event.type
    for key in ("run_id", "thread_id", "user_id"):
        value = event.fields.get(key)
        if value is not None and isinstance(value, str | int):
            obj[key] = _scrub(str(value), secrets)
    if size > max_text_bytes:
        head = encoded[:HEAD_BYTES].decode("utf-8", "ignore")
        obj["text"] = _scrub(head, secrets)
        obj["truncated"] = True
        obj["sha256"] = hashlib.sha256(encoded).hexdigest()
    else:
        obj["text"] = _scrub(data, secrets)
    return _dumps(obj)


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


# ---------------------------------------------------------------------------------------------
# Records and parsing


@dataclass(frozen=True, slots=True)
class CassetteHeader:
    """Line 1 of a cassette."""

    version: int
    endpoint: str
    transport: str
    token_fingerprint: str | None
    user: str | None
    tool_version: str
    started_wall: float | None
    labels: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """One frame line. ``text`` is ``None`` for binary frames (then ``b64`` is set)."""

    lineno: int
    dir: str
    t_ns: int
    wall: float | None
    size: int
    type: str
    text: str | None
    run_id: str | None = None
    thread_id: str | None = None
    user_id: str | None = None
    b64: str | None = None
    truncated: bool = False
    sha256: str | None = None

    @property
    def t(self) -> float:
        return self.t_ns / 1e9


@dataclass(frozen=True, slots=True)
class MarkRecord:
    """One lifecycle mark line."""

    lineno: int
    name: str
    t_ns: int
    wall: float | None
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def t(self) -> float:
        return self.t_ns / 1e9


@dataclass(frozen=True, slots=True)
class LineWarning:
    """A line that could not be read; ``str()`` gives ``line N: reason``."""

    lineno: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.reason}"


Record = CassetteHeader | FrameRecord | MarkRecord


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _req_int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"field {key!r} must be an integer, got {type(value).__name__}")
    return value


def _parse_header(obj: Mapping[str, Any]) -> CassetteHeader:
    if obj.get("format") != FORMAT_NAME:
        raise ValueError(f"header 'format' is {obj.get('format')!r}, not {FORMAT_NAME!r}")
    version = _req_int(obj, "version")
    labels_raw = obj.get("labels")
    labels = (
        {str(k): str(v) for k, v in labels_raw.items()} if isinstance(labels_raw, Mapping) else {}
    )
    known = {
        "kind",
        "format",
        "version",
        "endpoint",
        "transport",
        "token_fingerprint",
        "user",
        "tool_version",
        "started_wall",
        "labels",
    }
    return CassetteHeader(
        version=version,
        endpoint=str(obj.get("endpoint", "")),
        transport=str(obj.get("transport", "")),
        token_fingerprint=_opt_str(obj.get("token_fingerprint")),
        user=_opt_str(obj.get("user")),
        tool_version=str(obj.get("tool_version", "")),
        started_wall=_opt_float(obj.get("started_wall")),
        labels=labels,
        extra={k: v for k, v in obj.items() if k not in known},
    )


def _parse_frame_record(obj: Mapping[str, Any], lineno: int) -> FrameRecord:
    direction = obj.get("dir")
    if direction not in ("in", "out"):
        raise ValueError(f"frame 'dir' is {direction!r}, not 'in' or 'out'")
    text, b64 = obj.get("text"), obj.get("b64")
    if text is not None and not isinstance(text, str):
        raise ValueError("frame 'text' is not a string")
    if b64 is not None and not isinstance(b64, str):
        raise ValueError("frame 'b64' is not a string")
    if text is None and b64 is None:
        raise ValueError("frame has neither 'text' nor 'b64'")
    size = obj.get("size")
    if isinstance(size, bool) or not isinstance(size, int):
        size = len(text.encode("utf-8", "surrogatepass")) if text is not None else 0
    return FrameRecord(
        lineno=lineno,
        dir=direction,
        t_ns=_req_int(obj, "t_ns"),
        wall=_opt_float(obj.get("wall")),
        size=size,
        type=str(obj.get("type") or ""),
        text=text,
        run_id=_opt_str(obj.get("run_id")),
        thread_id=_opt_str(obj.get("thread_id")),
        user_id=_opt_str(obj.get("user_id")),
        b64=b64,
        truncated=obj.get("truncated") is True,
        sha256=_opt_str(obj.get("sha256")),
    )


def _parse_mark(obj: Mapping[str, Any], lineno: int) -> MarkRecord:
    name = obj.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError("mark has no 'name'")
    data = obj.get("data")
    return MarkRecord(
        lineno=lineno,
        name=name,
        t_ns=_req_int(obj, "t_ns"),
        wall=_opt_float(obj.get("wall")),
        data=dict(data) if isinstance(data, Mapping) else {},
    )


def parse_line(line: str | bytes, lineno: int) -> Record | LineWarning | None:
    """One cassette line → a record, a ``LineWarning`` (bad line) or ``None`` (blank line).
    Never raises."""
    if isinstance(line, bytes | bytearray):
        try:
            line = bytes(line).decode("utf-8")
        except UnicodeDecodeError as exc:
            return LineWarning(lineno, f"not UTF-8 ({exc.reason} at byte {exc.start})")
    text = line.strip()
    if not text:
        return None
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return LineWarning(lineno, f"not valid JSON (truncated or garbled): {exc}")
    if not isinstance(obj, dict):
        return LineWarning(lineno, f"JSON {type(obj).__name__}, not an object")
    kind = obj.get("kind")
    try:
        if kind == "header":
            return _parse_header(obj)
        if kind == "frame":
            return _parse_frame_record(obj, lineno)
        if kind == "mark":
            return _parse_mark(obj, lineno)
    except (ValueError, TypeError) as exc:
        return LineWarning(lineno, str(exc))
    return LineWarning(lineno, f"unknown line kind {kind!r}")


def parse_lines(
    lines: Iterable[str | bytes],
) -> tuple[CassetteHeader | None, list[FrameRecord | MarkRecord], list[LineWarning]]:
    """Parse a whole cassette body. The header must be the first non-blank line; a missing or
    later header is reported as a warning, never raised."""
    header: CassetteHeader | None = None
    records: list[FrameRecord | MarkRecord] = []
    warnings: list[LineWarning] = []
    seen_first = False
    for lineno, line in enumerate(lines, start=1):
        parsed = parse_line(line, lineno)
        if parsed is None:
            continue
        if isinstance(parsed, LineWarning):
            warnings.append(parsed)
        elif isinstance(parsed, CassetteHeader):
            if seen_first:
                warnings.append(LineWarning(lineno, "header line after the first line; ignored"))
            else:
                header = parsed
        else:
            if not seen_first:
                warnings.append(LineWarning(lineno, "first line is not a cassette header"))
            records.append(parsed)
        seen_first = True
    return header, records, warnings
