"""The report's judgement of a triaged suite: are there new failures, and can that be told?

One place for the ``new_failures`` check, so the ``suite_triage`` and ``investigation_report``
notebooks judge a suite the same way (:func:`new_failures_check`) and say the same thing when
the answer cannot be known (:func:`triage_headline`).
"""

from __future__ import annotations

from typing import Any

from netra_diag.report.summary import Check, CheckKind
from netra_diag.wording import plural

__all__ = ["new_failures_check", "triage_headline"]


def new_failures_check(result: Any) -> Check:
    """The ``new_failures`` check of a ``TriageReport``, from its baseline diff (``RunDiff``).

    Without a baseline, whether a failure is new cannot be judged: the check is then *not
    verified* while anything fails (a failing suite is never called a pass), and a pass only
    when nothing fails at all. With a baseline it fails on regressions and on failing tests the
    baseline did not have, and its detail counts both and what was failing already.
    """
    failing = int(result.failing)
    diff = result.diff
    if diff is None:
        if not failing:
            return Check("new_failures", CheckKind.NEW_FAILURES, True, "no failing tests")
        detail = (
            f"{plural(failing, 'failing test')}; no baseline, so whether any is new is not "
            "verified (give -p baseline FILE)"
        )
        return Check("new_failures", CheckKind.NEW_FAILURES, True, detail, verified=False)
    regressions, added = len(diff.new_failures), len(diff.failing_added)
    still = len(diff.still_failing)
    still_text = f"{still} still failing" if still else "nothing else failing"
    if regressions or added:
        parts = []
        if regressions:
            parts.append(f"{plural(regressions, 'regression')} since the baseline")
        if added:
            parts.append(f"{plural(added, 'failing test')} not in the baseline")
        detail = f"{plural(regressions + added, 'new failure')} ({', '.join(parts)}); {still_text}"
        return Check("new_failures", CheckKind.NEW_FAILURES, False, detail)
    if still:
        detail = f"no new failures; {still} still failing as in the baseline"
    else:
        detail = "no new failures; nothing failing"
    return Check("new_failures", CheckKind.NEW_FAILURES, True, detail)


def triage_headline(result: Any, check: Check) -> str:
    """The triage's own headline (worst finding first), and what the new-failures check could
    not judge when there was no baseline."""
    headline = str(result.headline) or check.detail
    if not check.verified:
        return f"{headline}; new failures not verified: no baseline"
    if check.passed and result.failing and "no new failures" not in headline:
        return f"{headline}; {check.detail}"
    return headline
