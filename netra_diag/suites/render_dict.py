"""Render a ``TriageReport`` as a JSON-ready dict (``triage --format json``, ``to_dict``).

Everything in it goes through ``netra_diag.redaction.scrub_obj`` with the values of
secret-named environment variables, as the text renderings (``render``) go through
``scrub_shown``: failure messages and captured output can contain tokens and secrets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netra_diag.redaction import environment_secrets, scrub_obj
from netra_diag.suites.categories import category_label

if TYPE_CHECKING:
    from netra_diag.suites.flaky import FlakyTest
    from netra_diag.suites.triage import TriageReport

__all__ = ["report_to_dict"]


def report_to_dict(report: TriageReport) -> dict[str, Any]:
    d = report.diff
    out: dict[str, Any] = {
        "headline": report.headline,
        "findings": [
            {"rank": f.rank, "phrase": f.phrase, "detail": f.detail, "weak": f.weak}
            for f in report.findings
        ],
        # what says that passes prove little, for a CI script's own gate (as triage --strict)
        "weak_signals": list(report.weak_signals),
        "run": {
            "sources": list(report.current.sources),
            "format": report.current.fmt,
            "tests": len(report.current.rows),
            "counts": report.current.counts.as_dict(),
            "declared": dict(report.current.declared),
            "warnings": list(report.warnings),
            # how the run ended early (pytest.exit, Ctrl-C), "" when it ended by itself
            "interrupted": report.current.interrupted,
        },
        "baseline": None
        if report.baseline is None
        else {"tests": len(report.baseline.rows), "counts": report.baseline.counts.as_dict()},
        "critical_events_observed": None
        if report.critical_observed is None
        else list(report.critical_observed),
        "suites": [
            {
                "suite": s.suite,
                "tests": s.tests,
                "counts": s.counts.as_dict(),
                "passing": s.passed,
                # of counts["failed"], failed subtests (pytest counts each) and their tests
                "failed_subtests": s.failed_subtests,
                "tests_with_failed_subtests": s.tests_with_failed_subtests,
                "pass_rate": s.pass_rate,
                "duration_s": round(s.duration, 6),  # (a sum of floats: no 0.04100000000000001)
                "baseline": None if s.baseline is None else s.baseline.as_dict(),
                "baseline_tests": s.baseline_tests,
                "new_failures": s.new_failures,
                "fixed": s.fixed,
                "slower": s.slower,
                "now_skipped": s.now_skipped,
                "causes": list(s.causes),
                "weak_passes": list(s.weak_passes),
            }
            for s in report.suites
        ],
        "clusters": [
            {
                "size": c.size,
                # tests whose outcome this cause decided; the others (counted_elsewhere) failed
                # first for another cluster's cause (a teardown error after a failed call)
                "counted": c.counted,
                "counted_elsewhere": list(c.counted_elsewhere),
                "category": str(c.category),
                "category_label": category_label(c.category),
                "category_reason": c.category_reason,
                "phase": str(c.phase),
                "exception_type": c.signature.exc_type,
                "message": c.signature.message,
                "frame": c.signature.frame,
                "because": c.because,
                "representative": c.representative,
                "tests": list(c.tests),
                "recordings": {
                    t: [r.path for r in report.recordings.get(t, ())]
                    for t in c.tests
                    if report.recordings.get(t)
                },
                # what each recording showed: frames, close, the contract's verdict and findings
                "recorded": {
                    t: [
                        {
                            "path": r.path,
                            "summary": r.summary(),
                            "contract": list(r.contract_findings),
                        }
                        for r in report.recordings.get(t, ())
                    ]
                    for t in c.tests
                    if report.recordings.get(t)
                },
            }
            for c in report.clusters
        ],
        "diff": None
        if d is None
        else {
            "new_failures": list(d.new_failures),
            "failing_added": list(d.failing_added),
            "fixed": list(d.fixed),
            "still_failing": list(d.still_failing),
            "cause_changed": list(d.cause_changed),
            "newly_flaky": list(d.newly_flaky),
            "newly_skipped": list(d.newly_skipped),
            "removed": list(d.removed),
            "added": list(d.added),
            # removed and added tests defined at the same file and line (suites.renames)
            "possibly_renamed": [{"removed": a, "added": b} for a, b in d.possibly_renamed],
            "baseline_outage": d.baseline_outage,
            # seconds the baseline started after this run (0: before, or unknown)
            "baseline_later_s": d.baseline_later_s,
            "duration_regressions": [
                {"test_id": r.test_id, "before_s": r.before, "after_s": r.after}
                for r in d.duration_regressions
            ],
        },
        "vacuous": [
            # (tests: how many tests the signal is said of, a suite's skips for want of a
            # service; 1 for a test's)
            {"kind": str(s.kind), "subject": s.subject, "detail": s.detail, "tests": s.tests}
            for s in report.vacuous
        ],
        "flakiness": None
        if report.flakiness is None
        else {
            "runs": report.flakiness.runs,
            "outage_runs": list(report.flakiness.outage_runs),
            "outage_reasons": list(report.flakiness.outage_reasons),
            "outage_run_numbers": [i + 1 for i in report.flakiness.outage_runs],
            "partial_outages": report.flakiness.partial_outages,
            # where this run sits among them, by when they started (1 the oldest; None unknown)
            "this_run_number": report.flakiness.this_run + 1
            if report.flakiness.this_run >= 0
            else None,
            "flaky": [_flaky(f) for f in report.flakiness.flaky],
            "no_longer_run": [
                # (the test of this run it was possibly renamed to, or None: suites.renames)
                {**_flaky(f), "possibly_renamed": report.flakiness.renamed_to(f.test_id)}
                for f in report.flakiness.no_longer_run
            ],
            # passed much slower than its earlier passes (history_durations), worst first
            "slower_than_history": [
                {
                    "test_id": s.test_id,
                    "after_s": s.after,
                    "median_s": s.median,
                    "slowest_before_s": s.slowest,
                    "earlier_passes": s.runs,
                    "few_runs": s.few_runs,
                }
                for s in report.flakiness.slower
            ],
        },
        "outage": report.outage,
    }
    result: dict[str, Any] = scrub_obj(out, environment_secrets(), shown=True)
    return result


def _flaky(f: FlakyTest) -> dict[str, Any]:
    return {
        "test_id": f.test_id,
        "history": f.history,
        "transitions": f.transitions,
        "score": f.score,
        "passed_on_retry": f.passed_on_retry,
    }
