"""The JSON summary a notebook emits while it runs, and the exit code it maps to.

A notebook opens a :class:`Summary` on the ``summary_path`` papermill parameter and records values
and checks as it goes; every call rewrites the file atomically, so a notebook that dies half-way
still leaves what it had found. Interactive use (no path) keeps the summary in memory only.

Everything a summary keeps (values, check names and details, warnings, the headline) is scrubbed
as it is recorded: a token becomes its fingerprint (:func:`netra_diag.redaction.scrub`), and so
does a known signing secret (:func:`netra_diag.report.safety.secret_values`: the local development
secret and the values of secret-named environment variables such as ``$JWT_SECRET_KEY``). The
file and the notebook's view of it never hold one, so ``netra-diag report`` has nothing to refuse.

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
failing tests      ``FAILURE`` (1)              tests fail and no baseline says which are
                                                new (as ``netra-diag triage`` exits 1)
=================  ===========================  ==========================================
"""

from __future__ import annotations

import contextlib
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
from netra_diag.errors import UsageError
from netra_diag.redaction import scrub
from netra_diag.report.safety import secret_values
from netra_diag.wording import plural

__all__ = [
    "CHECK_EXIT_CODES",
    "EXIT_PRIORITY",
    "Check",
    "CheckKind",
    "Summary",
    "derive_headline",
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
    FAILURES = "failures"  # tests fail, none known to be new or old (triage's exit 1)


CHECK_EXIT_CODES: Mapping[CheckKind, ExitCode] = {
    CheckKind.INFRASTRUCTURE: ExitCode.INFRASTRUCTURE,
    # ExitCode.CONTRACT is "event-contract or auth problem (bypass, rejected token, 1008)".
    CheckKind.AUTH: ExitCode.CONTRACT,
    CheckKind.TIMEOUT: ExitCode.TIMEOUT,
    CheckKind.CONTRACT: ExitCode.CONTRACT,
    CheckKind.NEW_FAILURES: ExitCode.NEW_FAILURES,
    CheckKind.SLA: ExitCode.SLA_BREACH,
    CheckKind.FAILURES: ExitCode.FAILURE,
}
EXIT_PRIORITY: tuple[ExitCode, ...] = (
    ExitCode.NOTEBOOK,
    ExitCode.INFRASTRUCTURE,
    ExitCode.TIMEOUT,
    ExitCode.CONTRACT,
    ExitCode.NEW_FAILURES,
    ExitCode.SLA_BREACH,
    ExitCode.FAILURE,
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


def derive_headline(checks: Iterable[Check]) -> str:
    """The headline of checks when a notebook sets none: the failed ones worst first (by
    exit-code class), else what passed and what could not be verified."""
    checks = tuple(checks)
    failed = sorted(
        (c for c in checks if not c.passed),
        key=lambda c: EXIT_PRIORITY.index(exit_code_for([c])),
    )
    if failed:
        return "; ".join(f"{c.name}: {c.detail or 'failed'}" for c in failed)
    unverified = [c.name for c in checks if not c.verified]
    if unverified:
        return (
            f"{len(checks) - len(unverified)} of {len(checks)} required checks passed; "
            f"not verified for lack of data: {', '.join(unverified)}"
        )
    if len(checks) == 1:
        return "the one required check passed"
    if checks:
        return f"all {len(checks)} required checks passed"
    # Exit 0 all the same (nothing failed), so the headline says what that pass is worth.
    return "no required checks were recorded: this pass proves nothing"


def to_jsonable(value: Any) -> Any:
    """Plain JSON values from what notebooks hold: dataclasses with ``to_dict``, enums, numpy
    scalars and arrays (as lists), pandas frames (as records), NaN and infinities as ``None``."""
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
    if isinstance(getattr(value, "ndim", None), int) and callable(getattr(value, "tolist", None)):
        # A numpy array (or scalar): nested lists of Python numbers. Its ``item`` below works
        # only for a single element.
        return to_jsonable(value.tolist())
    item = getattr(value, "item", None)
    if callable(item):  # numpy scalar
        return to_jsonable(item())
    if hasattr(value, "__dataclass_fields__"):
        return to_jsonable(asdict(value))
    return str(value)


def _known_secrets() -> tuple[str, ...]:
    # Read on every call: a notebook may set $JWT_SECRET_KEY after it opened its summary.
    return secret_values(os.environ)


def _scrubbed(value: Any, secrets: tuple[str, ...]) -> Any:
    """A JSON value (from :func:`to_jsonable`) with every string in it, keys included, scrubbed
    (``redaction.scrub_obj`` leaves keys alone, and a notebook may key values by token)."""
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {scrub(str(k), secrets): _scrubbed(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrubbed(v, secrets) for v in value]
    return value


class Summary:
    """What a notebook found, as JSON: ``values``, ``checks`` and a ``headline``.

    ``Summary(path)`` rewrites ``path`` after each call (atomically); ``Summary("")`` or
    ``Summary(None)`` keeps everything in memory (interactive use). Every text it keeps is
    scrubbed of tokens and known secrets (see the module docstring)."""

    def __init__(self, path: str | os.PathLike[str] | None = None, *, notebook: str = ""):
        self.path = Path(path) if path else None
        if self.path is not None and self.path.is_dir():
            raise UsageError(
                f"summary path {str(self.path)!r} is a directory; give the JSON file to write "
                f"(e.g. {str(self.path / 'summary.json')!r})"
            )
        self.notebook = scrub(notebook, _known_secrets())
        self.values: dict[str, Any] = {}
        self.checks: list[Check] = []
        self.warnings: list[str] = []
        self.headline = ""
        self._write()

    def record(self, key: str, value: Any) -> Any:
        """Store ``value`` (made JSON-able, then scrubbed) under ``key``; returns ``value``
        unchanged. Raises :class:`~netra_diag.errors.UsageError` for a value that has no JSON
        form."""
        secrets = _known_secrets()
        name = scrub(str(key), secrets)
        try:
            stored = to_jsonable(value)
        except (TypeError, ValueError, RecursionError) as exc:
            reason = scrub(str(exc), secrets)
            raise UsageError(
                f"Summary.record({name!r}, …): a {type(value).__name__} has no JSON form "
                f"({reason}); record plain numbers, strings, lists, dicts, arrays or frames"
            ) from None
        self.values[name] = _scrubbed(stored, secrets)
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
        """Record a required check. A failed check decides the report's exit code. Returns the
        check as recorded (name and detail scrubbed)."""
        secrets = _known_secrets()
        result = Check(
            name=scrub(str(name), secrets),
            kind=CheckKind(kind),
            passed=bool(passed),
            detail=scrub(str(detail), secrets),
            verified=bool(verified),
        )
        self.checks = [c for c in self.checks if c.name != result.name] + [result]
        self._write()
        return result

    def extend(self, checks: Iterable[Check]) -> None:
        """Record checks computed elsewhere (e.g. ``Investigation.checks``)."""
        for c in checks:
            self.check(c.name, kind=c.kind, passed=c.passed, detail=c.detail, verified=c.verified)

    def warn(self, text: str) -> str:
        """Record a warning the report lists (e.g. a damaged recording, a fallback secret);
        returns it as recorded (scrubbed). The same warning twice is kept once."""
        text = scrub(str(text), _known_secrets())
        if text and text not in self.warnings:
            self.warnings.append(text)
            self._write()
        return text

    def set_headline(self, text: str) -> None:
        """The one line a reader sees first; the worst finding comes first."""
        self.headline = scrub(str(text), _known_secrets())
        self._write()

    @property
    def exit_code(self) -> ExitCode:
        return exit_code_for(self.checks)

    def raise_for_failed_checks(self) -> None:
        """Raise :class:`ChecksFailed` when a required check failed (``not verified`` is no
        failure), so that a papermill run of the notebook exits non-zero; else do nothing."""
        from netra_diag.report.failed_checks import ChecksFailed, worst_first

        secrets = _known_secrets()
        failed = [
            Check(c.name, c.kind, c.passed, scrub(c.detail, secrets), c.verified)
            for c in worst_first(self.checks)
        ]
        if failed:
            raise ChecksFailed(scrub(self.notebook, secrets), failed)

    def to_dict(self) -> dict[str, Any]:
        """The summary as written; scrubbed once more, in case an attribute was set directly."""
        raw = {
            "notebook": self.notebook,
            # None set: the one `netra-diag report` would print, so the page shows it too.
            "headline": self.headline or (derive_headline(self.checks) if self.checks else ""),
            "checks": [c.to_dict() for c in self.checks],
            "values": self.values,
            "warnings": list(self.warnings),
            # What `netra-diag report` would exit with: for a papermill run given summary_path.
            "exit_code": int(self.exit_code),
            "exit_class": self.exit_code.name,
        }
        scrubbed: dict[str, Any] = _scrubbed(to_jsonable(raw), _known_secrets())
        return scrubbed

    def _write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)
        handle, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".summary-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException as exc:
            # No half-written temp file left next to the summary, whatever went wrong.
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, IsADirectoryError):
                raise UsageError(
                    f"summary path {str(self.path)!r} is a directory; give the JSON file to write"
                ) from None
            raise

    def __repr__(self) -> str:
        failed = sum(not c.passed for c in self.checks)
        notebook = scrub(self.notebook, _known_secrets())
        return f"Summary({notebook!r}, {plural(len(self.checks), 'check')}, {failed} failed)"

    def _repr_html_(self) -> str:
        """The checks as a small table (status, check, kind, detail), headline first: what a
        notebook ending with ``summary`` shows (scrubbed, as written)."""
        import html

        from netra_diag.report.tables import format_table

        data = self.to_dict()
        headline = data["headline"]
        head = f"<p><b>{html.escape(headline)}</b></p>" if headline else ""
        if not data["checks"]:
            return head + "<p>No required checks recorded.</p>"
        # (as every other table of a report: text aligned left, cells scrubbed and escaped)
        table = format_table(
            data["checks"], ["status", "name", "kind", "detail"], labels={"name": "check"}
        )
        return head + table._repr_html_()
