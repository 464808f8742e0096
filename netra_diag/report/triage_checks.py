"""The required checks of a suite triage, so that ``netra-diag report suite_triage`` exits as
``netra-diag triage`` does on the same input.

``new_failures`` (:func:`netra_diag.investigation.new_failures_check`) judges what is new since a
baseline; alone it cannot fail a run without a baseline (whether a failure is new is then not
verified), so a CI job that ran the report instead of ``triage`` went green on a failing suite.
:func:`triage_checks` adds what triage's own exit code says beyond that:

- ``failing_tests`` (exit 1, :attr:`CheckKind.FAILURES`): tests fail and no baseline was given,
  or the run did not finish (its untested tests have no result, baseline or not);
- ``infrastructure`` (exit 9): every failure is a timeout or infrastructure problem (service
  down, 503, refused): retry before debugging, as triage says;
- ``weak_passes``, *not verified* (exit 0, as triage's without ``--strict``): nothing fails,
  but the pass proves little (auth bypassed in the recordings, critical events never observed,
  ~0 ms passes, only skips), so the report is not shown as passed.
"""

from __future__ import annotations

from typing import Any

from netra_diag.report.summary import Check, CheckKind
from netra_diag.wording import plural

__all__ = ["triage_checks"]


def triage_checks(result: Any) -> list[Check]:
    """The checks of a ``TriageReport``: ``new_failures``, ``failing_tests`` or
    ``infrastructure`` when triage's exit code (``netra_diag.cli.triage.exit_code_for``) is 1 or
    9, ``weak_passes`` when it is 0 but the pass proves little; failed checks first. Their
    worst class is triage's exit code."""
    from netra_diag.cli.exit_codes import ExitCode
    from netra_diag.cli.triage import exit_code_for
    from netra_diag.investigation import new_failures_check

    checks = [new_failures_check(result)]
    code = exit_code_for(result)
    failing = int(result.failing)
    interrupted = str(getattr(result.current, "interrupted", "") or "")
    if code is ExitCode.FAILURE:
        if interrupted:
            detail = (
                f"the run did not finish ({interrupted}): the tests it did not run have no "
                "result, so nothing failing proves nothing"
            )
        else:
            detail = (
                f"{plural(failing, 'failing test')}, and no baseline to tell new failures from "
                "old ones (netra-diag triage exits 1 too)"
            )
        checks.append(Check("failing_tests", CheckKind.FAILURES, False, detail))
    elif code is ExitCode.INFRASTRUCTURE:
        detail = (
            f"every one of {plural(failing, 'failing test')} fails for a timeout or "
            "infrastructure cause (service down, 503, refused): retry before debugging"
        )
        checks.append(Check("infrastructure", CheckKind.INFRASTRUCTURE, False, detail))
    elif code is ExitCode.OK and result.weak_signals and checks[0].verified:
        # (not when new_failures already says nothing was tested: the same words twice)
        # Nothing fails, but what passed proves little (auth bypassed, events never seen, ~0 ms
        # passes, only skips): not a pass a reviewer should read as green. Exit 0 as triage's
        # (its --strict exits 3).
        detail = "the pass proves little: " + "; ".join(result.weak_signals)
        checks.append(Check("weak_passes", CheckKind.CONTRACT, True, detail, verified=False))
    # Worst first, as the report lists them: a failed check before a "not verified" one.
    return sorted(checks, key=lambda c: (c.passed, c.verified))
