"""The cassette line format (docs/cassette-format.md): build lines, redact them, parse them back.

Pure: no files, sockets or clocks (times are passed in). ``recording.py`` is the file half;
``recording_lines`` (line builders) and ``recording_redaction`` are re-exported here;
``recording_tables`` holds the rows behind the DataFrames.

Every builder returns one JSON text without the trailing newline. Everything that may carry a
credential (URLs, handshake headers, frame texts, mark data) goes through ``redact_*`` /
``netra_diag.redaction.scrub`` with the explicit secrets of the session, so neither a JWT nor a
base64url-wrapped JWT nor a raw non-JWT token reaches the file.

``parse_line`` never raises: a line that is not valid JSON, not an object or lacks required fields
becomes a ``LineWarning`` carrying its line number (a killed writer leaves a truncated last line).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from netra_diag.recording_lines import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEAD_BYTES,
    MAX_TEXT_BYTES,
    frame_line,
    frame_line_body,
    frame_line_prefix,
    header_line,
    mark_line,
    scrub_fast,
)
from netra_diag.recording_redaction import (
    CREDENTIAL_QUERY_KEYS,
    SECRET_HEADERS,
    expand_secrets,
    redact_headers,
    redact_subprotocol,
    redact_url,
    with_secret,
)

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
    "frame_line_body",
    "frame_line_prefix",
    "header_line",
    "mark_line",
    "parse_line",
    "parse_lines",
    "redact_headers",
    "redact_subprotocol",
    "redact_url",
    "scrub_fast",
    "with_secret",
]


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
    # What the reader had to overlook in the header line (a newer version, a field of the wrong
    # kind): reported as line 1's warnings by ``parse_lines``.
    problems: tuple[str, ...] = ()


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
_HEADER_FIELDS = frozenset({"kind", "format"} | {f.name for f in fields(CassetteHeader)}) - {
    "problems"
}


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _req_int(obj: Mapping[str, Any], key: str) -> int:
    if key not in obj:
        raise ValueError(f"field {key!r} is missing")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        raise ValueError(f"field {key!r} must be an integer, got {shown}")
    return value


def _parse_header(obj: Mapping[str, Any]) -> CassetteHeader:
    if obj.get("format") != FORMAT_NAME:
        raise ValueError(f"header 'format' is {obj.get('format')!r}, not {FORMAT_NAME!r}")
    try:
        version = _req_int(obj, "version")
    except ValueError as exc:
        raise ValueError(f"header: {exc}") from None
    problems: list[str] = []
    if version > FORMAT_VERSION:
        problems.append(
            f"header: version {version} is newer than this reader's ({FORMAT_VERSION}); "
            "what it does not know is ignored"
        )
    elif version < 1:
        problems.append(
            f"header: version {version} is no version of the format (the first is 1); "
            f"read as version {FORMAT_VERSION}"
        )
    labels_raw = obj.get("labels")
    labels = (
        {str(k): str(v) for k, v in labels_raw.items()} if isinstance(labels_raw, Mapping) else {}
    )
    if labels_raw is not None and not isinstance(labels_raw, Mapping):
        problems.append(f"header: 'labels' is {type(labels_raw).__name__}, not an object; ignored")
    elif isinstance(labels_raw, Mapping):
        odd = sorted(str(k) for k, v in labels_raw.items() if not isinstance(v, str))
        if odd:
            problems.append(f"header: labels {', '.join(map(repr, odd))} are not strings")
    wall = obj.get("started_wall")
    if wall is not None and _opt_float(wall) is None:
        problems.append(f"header: 'started_wall' is {wall!r}, not a number of seconds; ignored")
    return CassetteHeader(
        version=version,
        endpoint=str(obj.get("endpoint", "")),
        transport=str(obj.get("transport", "")),
        token_fingerprint=_opt_str(obj.get("token_fingerprint")),
        user=_opt_str(obj.get("user")),
        tool_version=str(obj.get("tool_version", "")),
        started_wall=_opt_float(obj.get("started_wall")),
        labels=labels,
        extra={k: v for k, v in obj.items() if k not in _HEADER_FIELDS},
        problems=tuple(problems),
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
    """Parse a whole cassette body (its text split on newlines, or the lines of an open file).
    The header must be the first non-blank line; a missing or later header is reported as a
    warning, never raised. An unreadable last line without a newline after it is reported as
    truncated."""
    header: CassetteHeader | None = None
    records: list[FrameRecord | MarkRecord] = []
    warnings: list[LineWarning] = []
    seen_first = False
    last: str | bytes = ""
    lineno = 0
    for lineno, line in enumerate(lines, start=1):
        last = line
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
                warnings += [LineWarning(lineno, problem) for problem in parsed.problems]
        else:
            if not seen_first:
                warnings.append(LineWarning(lineno, "first line is not a cassette header"))
            records.append(parsed)
        seen_first = True
    ended = last.endswith(b"\n") if isinstance(last, bytes | bytearray) else last.endswith("\n")
    if warnings and warnings[-1].lineno == lineno and not ended:
        # The last line is cut short: no newline after it, and a finished file's last item is
        # blank (text split on newlines) or ends with one (lines of an open file). Said as
        # such, so that a reader of "run never completed" knows the recording stopped there.
        warnings[-1] = LineWarning(
            lineno, f"truncated last line skipped (writer killed?): {warnings[-1].reason}"
        )
    return header, records, warnings
