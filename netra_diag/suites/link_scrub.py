"""Tokens out of the pytest reports of tests that used ``netra_session``.

pytest's tracebacks show every frame's arguments, a session's token among them
(``token = 'eyJ…'``), and JUnit, pytest-json-report and the terminal print them: the pytest
plugin passes each such report through ``scrub_report`` so they keep fingerprints only.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from netra_diag.redaction import fingerprint, scrub

if TYPE_CHECKING:
    import pytest

__all__ = ["scrub_report"]


def scrub_report(report: pytest.TestReport, secrets: list[str]) -> None:
    """Hide tokens in ``report``'s traceback and captured output, in place."""
    if report.longrepr is not None:
        if isinstance(report.longrepr, str):
            report.longrepr = _scrub_text(report.longrepr, secrets)
        else:
            _scrub_in_place(report.longrepr, secrets, depth=0)
    if report.sections:
        report.sections = [(title, _scrub_text(text, secrets)) for title, text in report.sections]


# A token pytest's saferepr cut in the middle ("'eyJhbGci...In0.TvIAItvn'"): the JWT pattern would
# hide its head only, and fingerprint the head, not the token.
_ELIDED_JWT = re.compile(
    r"(?P<head>eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*)\.\.\.(?P<tail>[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*)"
)


def _scrub_text(text: str, secrets: list[str]) -> str:
    if "..." in text and "eyJ" in text:

        def hide(match: re.Match[str]) -> str:
            head, tail = match.group("head"), match.group("tail")
            for secret in secrets:
                if secret.startswith(head) and secret.endswith(tail):
                    return fingerprint(secret)
            return "eyJ…(a token, cut short)"

        text = _ELIDED_JWT.sub(hide, text)
    return scrub(text, secrets)


def _scrub_value(value: Any, secrets: list[str], depth: int) -> Any:
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    if isinstance(value, list):
        return [_scrub_value(v, secrets, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_scrub_value(v, secrets, depth + 1) for v in value)
    _scrub_in_place(value, secrets, depth + 1)
    return value


def _scrub_in_place(obj: Any, secrets: list[str], depth: int) -> None:
    """Scrub the strings of pytest's traceback representation (``ReprEntry.lines``,
    ``ReprFuncArgs.args``, ``reprcrash.message``, ...) where they are, so that JUnit still takes
    its failure message from ``reprcrash``, not the whole text."""
    if depth > 12 or not type(obj).__module__.startswith("_pytest"):
        return
    for name, value in list(vars(obj).items()):
        cleaned = _scrub_value(value, secrets, depth)
        if cleaned is not value and cleaned != value:
            setattr(obj, name, cleaned)
