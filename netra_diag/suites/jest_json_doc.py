"""The ``jest --json`` document as written: typed access to its fields (each wrong
type a ``ReportParseError`` naming its place, ``$.testResults[2].assertionResults[0].status``),
and the test files' paths from jest's ``rootDir``, which the document does not hold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from netra_diag.errors import ReportParseError

__all__ = ["JEST_JSON_FMT", "JsonDoc", "relative_to", "root_dir", "strip_ansi"]

# The format a SuiteRun read from jest --json says it is.
JEST_JSON_FMT = "jest-json"

# Colour codes (CSI, OSC) jest writes with --colors or FORCE_COLOR, as strip-ansi removes them.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text) if "\x1b" in text else text


class JsonDoc:
    """Typed access to the document, each wrong type a ``ReportParseError`` naming its place."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, where: str, said: str) -> ReportParseError:
        return ReportParseError(self.path, f"{where}: {said}")

    def get(
        self, obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str
    ) -> Any:
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
            raise self.fail(f"{where}.{key}", f"is {type(value).__name__}, expected {names}")
        return value

    def strings(self, obj: Mapping[str, Any], key: str, where: str) -> list[str]:
        items = self.get(obj, key, list, where) or []
        for k, item in enumerate(items):
            if not isinstance(item, str):
                raise self.fail(f"{where}.{key}[{k}]", f"is {type(item).__name__}, expected str")
        return items


_LOOKED_AT = 64


def root_dir(files: Sequence[tuple[str, str]], results_dir: str | None) -> str | None:
    """jest's ``rootDir``, ending in its separator: where the paths jest writes in a failing
    file's message ("at f (__tests__/a.test.js:4:11)", "from '__tests__/a.test.js'") start; else
    ``results_dir`` when every test file is under it; else None."""
    # (the first failing files tell it: a run of thousands is not searched file by file)
    told = [(name, message) for name, message in files if message][:_LOOKED_AT]
    for name, message in told:
        for k, char in enumerate(name):
            if char not in "/\\" or k == 0:
                continue
            suffix = name[k + 1 :]
            if suffix and suffix in message and _names(message, suffix):
                return name[: k + 1]
    if results_dir and files:
        for sep in ("/", "\\"):
            prefix = results_dir.rstrip(sep) + sep
            if all(name.startswith(prefix) for name, _ in files):
                return prefix
    return None


def _names(message: str, suffix: str) -> bool:
    """Whether ``message`` names ``suffix`` as a whole path (not the tail of a longer one)."""
    return re.search(rf"(?<![\w.\\/-]){re.escape(suffix)}(?=[:'\"\s)])", message) is not None


def relative_to(name: str, root: str | None) -> str:
    if root and name.startswith(root) and len(name) > len(root):
        return name[len(root) :]
    return name
