"""How a report run ended, and what it says: :class:`ReportResult` (it ran, whatever it found),
:class:`ReportInterrupted` (Ctrl-C: nothing written), and :func:`judge_report`, which turns the
notebook's own summary and the way its run ended into the report's checks, exit code and headline.

A cell that raises an input error (:data:`INPUT_ERRORS`) or an unreachable-service error
(:data:`UNREACHABLE_ERRORS`) is not a notebook that broke: each has the exit code ``--help``
gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.errors import ConnectFailed, RecordingError, ReportParseError, UsageError
from netra_diag.report.safety import scrub_text
from netra_diag.report.summary import Check, CheckKind, derive_headline, exit_code_for

__all__ = [
    "CHECKS_FAILED",
    "INPUT_ERRORS",
    "UNREACHABLE_ERRORS",
    "ReportInterrupted",
    "ReportResult",
    "Verdict",
    "judge_report",
]


def _names_under(*roots: type[BaseException]) -> frozenset[str]:
    """The class names of ``roots`` and of every subclass of theirs defined so far: a cell's
    error reaches the report as its class name only."""
    names: set[str] = set()
    pending = list(roots)
    while pending:
        cls = pending.pop()
        names.add(cls.__name__)
        pending.extend(cls.__subclasses__())
    return frozenset(names)


# A cell that raises one of these refused its input (a parameter, or a file one names): the
# report exits 2 (usage) with the error's own message, not 8 as for a notebook that broke.
# (Subclasses included: NotResultsFile, a file given as results that is none, was exit 8.)
INPUT_ERRORS = _names_under(UsageError, ReportParseError, RecordingError)
# A cell that raises one of these could not reach the service (down, wrong port, DNS): the
# report exits 9 (infrastructure), as --help says, not 8 as for a notebook that broke.
# (live.ticket's TicketRequestFailed is a ConnectFailed defined where importing it here would
# pull in the I/O layer.)
UNREACHABLE_ERRORS = _names_under(ConnectFailed) | {"TicketRequestFailed"}
# What the last cell raises when asked to (-p raise_on_failed_checks true, for a papermill run in
# CI): the failed checks, read from the summary as on every run, decide the exit code, not 8.
CHECKS_FAILED = "ChecksFailed"


class ReportInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a report: nothing was written into ``out_dir``; ``recordings`` is where the
    recordings made so far are (``None``: none were made). ``str()`` says so, for the
    ``interrupted: ...`` line."""

    def __init__(self, out_dir: Path, recordings: Path | None) -> None:
        self.out_dir = out_dir
        self.recordings = recordings
        where = f"; partial recordings in {recordings}" if recordings is not None else ""
        super().__init__(f"no report written to {out_dir}{where}")


@dataclass(frozen=True)
class ReportResult:
    """Where a report went and what it found."""

    name: str
    notebook_path: Path
    html_path: Path | None
    summary_path: Path
    exit_code: ExitCode
    headline: str
    checks: tuple[Check, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None
    duration_s: float = 0.0
    sizes: Mapping[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    recordings_path: Path | None = None

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)


@dataclass(frozen=True)
class Verdict:
    """What a report says: its checks, exit code, headline, and the summary's ``status``."""

    checks: tuple[Check, ...]
    exit_code: ExitCode
    headline: str
    status: str  # ok, notebook_error, bad_input or unreachable


def _derive_headline(checks: tuple[Check, ...], error: str | None) -> str:
    """Worst first: a notebook error, then failed checks by exit-code class."""
    if error:
        return f"notebook failed: {error}"
    return derive_headline(checks)


def judge_report(
    found: Mapping[str, Any],
    error: str | None,
    refused: str | None,
    unreachable: str | None,
    secrets: tuple[str, ...],
) -> Verdict:
    """What the run found (``found``: the notebook's summary, scrubbed), given how it ended:
    ``error`` (the notebook broke), ``refused`` (a cell refused its input) or ``unreachable``
    (a cell could not reach the service)."""
    checks = tuple(Check.from_dict(c) for c in found.get("checks", ()) if isinstance(c, dict))
    exit_code = exit_code_for(checks, notebook_failed=error is not None)
    headline = _derive_headline(checks, error) if error else str(found.get("headline") or "")
    headline = headline or _derive_headline(checks, None)
    status = "notebook_error" if error else "ok"
    if refused is not None:
        refused = scrub_text(refused, secrets)
        exit_code = ExitCode.USAGE
        headline = f"bad input, nothing checked: {refused}"
        status = "bad_input"
    elif unreachable is not None:
        unreachable = scrub_text(unreachable, secrets)
        checks += (Check("infrastructure", CheckKind.INFRASTRUCTURE, False, unreachable),)
        exit_code = ExitCode.INFRASTRUCTURE
        headline = f"infrastructure: {unreachable}; nothing after it was checked"
        status = "unreachable"
    return Verdict(checks, exit_code, headline, status)
