"""Where things are in an SLA file's text, for error messages that name the line: ``tomllib``
keeps no positions, so the lines of keys and ``[[check]]`` headers are found by scanning.
"""

from __future__ import annotations

import re

__all__ = ["Locator", "key_on_line"]


def key_on_line(text: str, line: int) -> str | None:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    match = re.match(r'\s*"?([A-Za-z0-9_.-]+)"?\s*=', lines[line - 1])
    return match.group(1) if match else None


class Locator:
    """Line numbers of top-level keys, ``[[check]]`` headers and keys inside each check."""

    _HEADER = re.compile(r"^\s*\[\[\s*check\s*\]\]")
    _ANY_HEADER = re.compile(r"^\s*\[")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i + 1 for i, ln in enumerate(self.lines) if self._HEADER.match(ln)]
        self.first_header = next(
            (i + 1 for i, ln in enumerate(self.lines) if self._ANY_HEADER.match(ln)),
            len(self.lines) + 1,
        )

    def _find_key(self, key: str, start: int, stop: int) -> int | None:
        pattern = re.compile(rf'^\s*"?{re.escape(key)}"?\s*=')
        for number in range(start, min(stop, len(self.lines) + 1)):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def top_key(self, key: str) -> int | None:
        found = self._find_key(key, 1, self.first_header)
        if found is None and key == "check" and self.headers:
            return self.headers[0]
        return found or self._table_header(key)

    def _table_header(self, key: str) -> int | None:
        """The line of ``[key]``, ``[[key]]`` or ``[key.sub]``: a table, not a ``key =`` line
        (a mistyped ``[[checks]]``, or ``[check]`` for ``[[check]]``)."""
        pattern = re.compile(rf'^\s*\[\[?\s*"?{re.escape(key)}"?\s*[\].]')
        return next((i + 1 for i, ln in enumerate(self.lines) if pattern.match(ln)), None)

    def check_header(self, index: int) -> int | None:
        return self.headers[index] if index < len(self.headers) else None

    def check_key(self, index: int, key: str) -> int | None:
        header = self.check_header(index)
        if header is None:
            return None
        following = [
            i + 1 for i in range(header, len(self.lines)) if self._ANY_HEADER.match(self.lines[i])
        ]
        stop = following[0] if following else len(self.lines) + 1
        return self._find_key(key, header + 1, stop) or header
