"""The JSON summary a notebook emits while it runs, and the exit code it maps to.

A notebook opens a :class:`Summary` on the ``summary_path`` papermill parameter and records values
and checks as it goes; every call rewrites the file atomically, so a notebook that dies half-way
still leaves what it had found. Interactive use (no path) keeps the summary in memory only.

Exit codes by class (``netra_diag.cli.exit_codes.ExitCode``), worst first — the order in which a
class makes the others less trustworthy:

=================  ===========================  ==========================================
class              exit code                    why it ranks there
=================  ===========================  ==========================================
notebook error     ``NOTEBOOK`` (8)             nothing after the failing cell was checked
infrastructure     ``INFRASTRUCTURE`` (9)       service down or unreachable: other numbers
                                                measure a broken set-up
timeout            ``TIMEOUT`` (4)              the client stopped waiting: what follows
                                                judges a cut-off run
contract / auth    ``CONTRACT`` (3)             the service broke its event protocol, or
                                                rejected (or bypassed) the token
new test failures  ``NEW_FAILURES`` (7)         regressions since the baseline
SLA breach         ``SLA_BREACH`` (6)           correct but too slow
=================  ===========================  ==========================================
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from netra_diag.cli.exit_codes import ExitCode

__all__ = [
    "CHECK_EXIT_CODES",
    "EXIT_PRIORITY",
    "Check",
    "CheckKind",
    "Summary",
    "exit_code_for",
    "to_jsonable",
]


class CheckKind(StrEnum):
    """The class of a required check; decides the report's exit code when it fails."""

    INFRASTRUCTURE = "infrastructure"
    AUTH = "auth"
    TIMEOUT = "timeout"
    CONTRACT = "contract"
    NEW_FAILURES = "new_failures"
    SLA = "sla"


CHECK_EXIT_CODES: Mapping[CheckKind, ExitCode] = {
    CheckKind.INFRASTRUCTURE: ExitCode.INFRASTRUCTURE,
    # ExitCode.CONTRACT is "event-contract or auth problem (bypass, rejected token, 1008)".
    CheckKind.AUTH: ExitCode.CONTRACT,
    CheckKind.TIMEOUT: ExitCode.TIMEOUT,
    CheckKind.CONTRACT: ExitCode.CONTRACT,
    CheckKind.NEW_FAILURES: ExitCode.NEW_FAILURES,
    CheckKind.SLA: ExitCode.SLA_BREACH,
}
EXIT_PRIORITY: tuple[ExitCode, ...] = (
    ExitCode.NOTEBOOK,
    ExitCode.INFRASTRUCTURE,
    ExitCode.TIMEOUT,
    ExitCode.CONTRACT,
    ExitCode.NEW_FAILURES,
    ExitCode.SLA_BREACH,
)


@dataclass(frozen=True)
class Check:
    """One required check and its outcome; ``detail`` is one plain sentence.

    ``verified`` is False when the check could not be judged for lack of data: it is then not a
    failure (it sets no exit code) but it is never shown or counted as a pass either."""

    name: str
    kind: CheckKind
    passed: bool
    detail: str = ""
    verified: bool = True

    @property
    def status(self) -> str:
        """``pass``, ``FAIL`` or ``not verified``, as reports print it."""
        if not self.passed:
            return "FAIL"
        return "pass" if self.verified else "not verified"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kind"] = str(self.kind)
        # For whatever reads the JSON summary: one field that cannot mistake "not verified"
        # (passed, but not verified) for a pass.
        out["status"] = self.status
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        return cls(
            name=str(data.get("name", "")),
            kind=CheckKind(str(data.get("kind", CheckKind.CONTRACT))),
            passed=bool(data.get("passed", False)),
            detail=str(data.get("detail", "")),
            verified=bool(data.get("verified", True)),
        )


def exit_code_for(checks: Iterable[Check], *, notebook_failed: bool = False) -> ExitCode:
    """The exit code of the worst failed check (see the module docstring), ``OK`` if none."""
    failed = {CHECK_EXIT_CODES[c.kind] for c in checks if not c.passed}
    if notebook_failed:
        failed.add(ExitCode.NOTEBOOK)
    for code in EXIT_PRIORITY:
        if code in failed:
            return code
    return ExitCode.OK


def to_jsonable(value: Any) -> Any:
    """Plain JSON values from what notebooks hold: dataclasses with ``to_dict``, enums, numpy
    scalars, pandas frames (as records), NaN as ``None``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        try:
            return to_jsonable(to_dict(orient="records"))  # pandas DataFrame
        except TypeError:
            return to_jsonable(to_dict())
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return to_jsonable(item())
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(asdict(value))
    return str(value)


class Summary:
    """What a notebook found, as JSON: ``values``, ``checks`` and a ``headline``.

    ``Summary(path)`` rewrites ``path`` after each call (atomically); ``Summary("")`` or
    ``Summary(None)`` keeps everything in memory (interactive use)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, notebook: str = ""):
        self.path = Path(path) if path else None
        self.notebook = notebook
        self.values: dict[str, Any] = {}
        self.checks: list[Check] = []
        self.warnings: list[str] = []
        self.headline = ""
        self._write()

    def record(self, key: str, value: Any) -> Any:
        """Store ``value`` (made JSON-able) under ``key``; returns ``value`` unchanged."""
        self.values[key] = to_jsonable(value)
        self._write()
        return value

    def check(
        self,
        name: str,
        *,
        kind: CheckKind | str,
        passed: bool,
        detail: str = "",
        verified: bool = True,
    ) -> Check:
        """Record a required check. A failed check decides the report's exit code."""
        result = Check(
            name=name,
            kind=CheckKind(kind),
            passed=bool(passed),
            detail=detail,
            verified=bool(verified),
        )
        self.checks = [c for c in self.checks if c.name != name] + [result]
        self._write()
        return result

    def extend(self, checks: Iterable[Check]) -> None:
        """Record checks computed elsewhere (e.g. ``Investigation.checks``)."""
        for c in checks:
            self.check(c.name, kind=c.kind, passed=c.passed, detail=c.detail, verified=c.verified)

    def warn(self, text: str) -> str:
        """Record a warning the report lists (e.g. a damaged recording, a fallback secret);
        returns ``text``. The same warning twice is kept once."""
        if text and text not in self.warnings:
            self.warnings.append(text)
            self._write()
        return text

    def set_headline(self, text: str) -> None:
        """The one line a reader sees first; the worst finding comes first."""
        self.headline = text
        self._write()

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "headline": self.headline,
            "checks": [c.to_dict() for c in self.checks],
            "values": self.values,
            "warnings": list(self.warnings),
        }

    def _write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".summary-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, self.path)

    def __repr__(self) -> str:
        from netra_diag.wording import plural

        failed = sum(not c.passed for c in self.checks)
        return f"Summary({self.notebook!r}, {plural(len(self.checks), 'check')}, {failed} failed)"

    def _repr_html_(self) -> str:
        """The checks as a small table (status, check, kind, detail), headline first: what a
        notebook ending with ``summary`` shows."""
        import html

        rows = "".join(
            f"<tr><td>{html.escape(c.status)}</td><td>{html.escape(c.name)}</td>"
            f"<td>{html.escape(str(c.kind))}</td><td>{html.escape(c.detail)}</td></tr>"
            for c in self.checks
        )
        head = f"<p><b>{html.escape(self.headline)}</b></p>" if self.headline else ""
        if not self.checks:
            return head + "<p>No required checks recorded.</p>"
        return (
            f"{head}<table class='netra-checks'><thead><tr><th>status</th><th>check</th>"
            f"<th>kind</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table>"
        )
