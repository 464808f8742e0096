"""A failed required check, as an error: what a notebook's last cell raises when asked to
(``-p raise_on_failed_checks True``), so that a papermill run exits non-zero.

A CI job that runs a notebook with papermill itself gets papermill's exit status only, and
papermill exits 0 whatever the checks say (only a cell that raises fails it). ``netra-diag
report`` exits by class instead, and takes the raise for what it is: not a notebook that broke.
"""

from __future__ import annotations

from collections.abc import Iterable

from netra_diag.errors import NetraDiagError
from netra_diag.report.summary import CHECK_EXIT_CODES, EXIT_PRIORITY, Check, exit_code_for
from netra_diag.wording import plural

__all__ = ["ChecksFailed", "worst_first"]


def worst_first(checks: Iterable[Check]) -> list[Check]:
    """The failed ones of ``checks``, the worst class first (``summary.EXIT_PRIORITY``)."""
    failed = (c for c in checks if not c.passed)
    return sorted(failed, key=lambda c: EXIT_PRIORITY.index(CHECK_EXIT_CODES[c.kind]))


class ChecksFailed(NetraDiagError):
    """Raised on request by :meth:`~netra_diag.report.Summary.raise_for_failed_checks`: a
    required check failed. The message is one line: the exit code ``netra-diag report`` gives
    the same run, then each failed check, worst first; ``failed`` and ``exit_code`` carry the
    same as data."""

    def __init__(self, notebook: str, failed: Iterable[Check]) -> None:
        self.notebook = notebook
        self.failed = tuple(failed)
        self.exit_code = exit_code_for(self.failed)
        named = "; ".join(f"{c.name}: {c.detail or 'failed'}" for c in self.failed)
        where = f"{notebook}: " if notebook else ""
        text = (
            f"{where}{plural(len(self.failed), 'required check')} failed "
            f"(netra-diag report exits {int(self.exit_code)}, {self.exit_code.name}): {named}"
        )
        super().__init__(" ".join(text.split()))  # one line, whatever a detail holds
