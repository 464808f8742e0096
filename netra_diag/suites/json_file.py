"""Reading a JSON results file (pytest-json-report, jest --json) whole, each way it can fail a
``ReportParseError`` that names the file (and the line, for JSON that does not parse)."""

from __future__ import annotations

import json
import os
from typing import IO, Any

from netra_diag.errors import ReportParseError

__all__ = ["decode_json", "read_json"]


def read_json(
    source: str | os.PathLike[str] | IO[bytes] | IO[str], name: str | None
) -> tuple[Any, str]:
    """The decoded document of a path or stream, and the name errors give it."""
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        try:
            with open(path, "rb") as fh:
                raw: bytes | str = fh.read()
        except OSError as exc:
            raise ReportParseError(path, f"cannot open: {exc.strerror or exc}") from exc
    else:
        stream_name = getattr(source, "name", None)
        path = stream_name if isinstance(stream_name, str) else "<stream>"
        raw = source.read()
    path = name or path
    return decode_json(raw, path), path


def decode_json(raw: bytes | str, path: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ReportParseError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
    except (UnicodeError, RecursionError) as exc:
        raise ReportParseError(path, f"cannot decode JSON: {type(exc).__name__}") from exc
