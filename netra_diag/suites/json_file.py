"""Reading a JSON results file (pytest-json-report, jest --json) whole, each way it can fail a
``ReportParseError`` that names the file (and the line, for JSON that does not parse), and the
cap on what any results input read whole into memory may hold (``MAX_WHOLE_READ``)."""

from __future__ import annotations

import json
import os
import re
import stat
from typing import IO, Any, AnyStr

from netra_diag.errors import ReportParseError

__all__ = ["MAX_WHOLE_READ", "decode_json", "read_capped", "read_json"]

# The most bytes of one input read whole into memory: a JSON report (the decoder wants it all),
# or results given as a pipe, FIFO or device, which can be read only once and so are held whole.
# A real report is megabytes, a huge one some hundreds; an input past 1 GiB is no report
# (``/dev/zero``, a writer gone wrong) and reading on would only exhaust the machine's memory.
# (JUnit XML in a regular file is streamed from its path and has no such cap.)
MAX_WHOLE_READ = 1 << 30
_CHUNK = 8 << 20


def read_capped(fh: IO[Any], path: str, head: AnyStr) -> AnyStr:
    """``head`` (already read from ``fh``) and the rest of ``fh``; a ``ReportParseError`` naming
    ``path`` as soon as the whole would pass ``MAX_WHOLE_READ``, without reading further."""
    cap = MAX_WHOLE_READ  # (read here, not bound at import: tests set it low)
    try:
        info = os.fstat(fh.fileno())
    except (AttributeError, OSError, ValueError):  # (an in-memory stream has no descriptor)
        info = None
    if info is not None and stat.S_ISREG(info.st_mode) and info.st_size > cap:
        raise _too_large(path, cap)
    chunks = [head]
    total = len(head)
    while True:
        chunk = fh.read(min(_CHUNK, cap + 1 - total))
        if not chunk:
            return head[:0].join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            raise _too_large(path, cap)


def _too_large(path: str, cap: int) -> ReportParseError:
    return ReportParseError(
        path,
        f"larger than {_size(cap)}, the most read into memory for one results file (a test "
        "report is far smaller): not read further",
    )


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"


def read_json(
    source: str | os.PathLike[str] | IO[bytes] | IO[str], name: str | None
) -> tuple[Any, str]:
    """The decoded document of a path or stream, and the name errors give it."""
    raw: bytes | str
    if isinstance(source, str | os.PathLike):
        path = name or os.fspath(source)
        try:
            with open(os.fspath(source), "rb") as fh:
                raw = read_capped(fh, path, b"")
        except OSError as exc:
            raise ReportParseError(path, f"cannot open: {exc.strerror or exc}") from exc
    else:
        stream_name = getattr(source, "name", None)
        path = name or (stream_name if isinstance(stream_name, str) else "<stream>")
        # (a binary or a text stream: the chunks are joined with b"" or "")
        if isinstance(source.read(0), bytes):
            raw = read_capped(source, path, b"")
        else:
            raw = read_capped(source, path, "")
    return decode_json(raw, path), path


def decode_json(raw: bytes | str, path: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ReportParseError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
    except RecursionError as exc:
        depth, line = _deepest(raw)
        where = f" ({depth} levels at its deepest, first on line {line})" if depth else ""
        raise ReportParseError(
            path,
            f"the JSON nests arrays and objects too deeply to decode{where}; a test report "
            "nests a few levels",
            line=line or None,
        ) from exc
    except UnicodeError as exc:
        raise ReportParseError(path, f"cannot decode JSON: {type(exc).__name__}") from exc


# A JSON string (skipped whole, so brackets in it do not count) or one bracket.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def _deepest(raw: bytes | str) -> tuple[int, int]:
    """How deep the document's arrays and objects nest at most, and the line where that depth is
    first reached; (0, 0) for a text this cannot scan. Only called once decoding failed."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    depth = deepest = at = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest, at = depth, match.start()
        elif token in (b"]", b"}"):
            depth -= 1
    return (deepest, data.count(b"\n", 0, at) + 1) if deepest else (0, 0)
