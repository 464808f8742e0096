"""The report's judgement of a triaged suite: are there new failures, and can that be told?

One place for the ``new_failures`` check, so the ``suite_triage`` and ``investigation_report``
notebooks judge a suite the same way (:func:`new_failures_check`) and say the same thing when
the answer cannot be known (:func:`triage_headline`).
"""

from __future__ import annotations

from typing import Any

from netra_diag.report.summary import Check, CheckKind
from netra_diag.wording import plural

__all__ = ["new_failures_check", "session_checks", "triage_headline"]


def new_failures_check(result: Any) -> Check:
    """The ``new_failures`` check of a ``TriageReport``, from its baseline diff (``RunDiff``).

    Without a baseline, whether a failure is new cannot be judged: the check is then *not
    verified* while anything fails (a failing suite is never called a pass), and a pass only
    when nothing fails at all. With a baseline it fails on regressions and on failing tests the
    baseline did not have, and its detail counts both and what was failing already.
    """
    failing = int(result.failing)
    diff = result.diff
    nothing = _nothing_tested(result)
    if nothing:
        # No test ran (or every one skipped): "no new failures" would be a pass that proves
        # nothing, whatever the baseline says.
        return Check(
            "new_failures", CheckKind.NEW_FAILURES, True, f"not verified: {nothing}", False
        )
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


def _nothing_tested(result: Any) -> str:
    """Why a run tested nothing (``"no tests ran"``, ``"3 tests, all skipped: nothing was
    tested"``), or ``""`` when at least one test ran."""
    counts = result.current.counts
    if not counts.total:
        return "no tests ran"
    ran = counts.passed + counts.failed + counts.errors + counts.xfailed + counts.xpassed
    if not ran:
        return f"{plural(counts.total, 'test')}, all skipped: nothing was tested"
    return ""


def triage_headline(result: Any, check: Check) -> str:
    """The triage's own headline (worst finding first), then what the new-failures check found
    when the headline does not say it (the failures that make the exit code 7), or what it
    could not judge: a run without a baseline, or one where no test ran."""
    headline = str(result.headline) or check.detail
    nothing = _nothing_tested(result)
    if nothing:
        if "no tests ran" in headline or "nothing was tested" in headline:
            return headline
        return f"{headline}; {nothing}" if headline != check.detail else nothing
    if not check.verified:
        return f"{headline}; new failures not verified: no baseline"
    if check.passed and result.failing and "no new failures" not in headline:
        return f"{headline}; {check.detail}"
    if not check.passed and not any(w in headline for w in ("new failure", "not in the base")):
        # The check that decides the exit code (7) is named, after the triage's own findings.
        return f"{headline}; {check.detail}"
    return headline


def _short(text: str, limit: int = 240) -> str:
    from netra_diag.redaction import scrub

    line = " ".join(scrub(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def session_checks(
    *,
    record: Any,
    session: Any,
    contract: Any,
    error: BaseException | None,
    timeout: float,
    transport: str = "auto",
) -> tuple[Check, ...]:
    """The ``live_session`` notebook's checks for one run: connected, auth, and the run's
    event contract (plus ``run`` when the client timed out). Details are plain text.

    - A socket that upgraded and was then closed for the token (1008, ...), or an upgrade
      refused with HTTP 401/403, *connected*: it is auth that failed (exit 3, not 9).
    - ``bad:...`` transports are negative checks: a refusal is the expected outcome (pass),
      an accepted known-bad format is the failure.
    - A run the client stopped waiting for is a ``timeout`` check (exit 4) and leads; the
      contract verdict on the cut-off run is then not verified, as is one with no agent event.
    - A run the service cut off by closing (1001, 1006, 1011 ...) fails ``stayed_connected``
      (infrastructure, exit 9) and leads; the contract verdict is then not verified unless the
      events received broke a rule that the cut does not explain.
    """
    import math

    from netra_diag.closecodes import AUTH_REFUSED_STATUSES, AUTH_STAGE_CLOSE_CODES
    from netra_diag.errors import HandshakeRejected, SessionClosed, UsageError
    from netra_diag.live import RunOutcome

    if not (isinstance(timeout, int | float) and timeout > 0 and math.isfinite(timeout)):
        # The panel declines such a timeout with a notice no report shows, and opens nothing:
        # judged as a run it read "auth: no auth verdict" (exit 3) for a bad parameter.
        raise UsageError(f"run_timeout must be a positive number of seconds, got {timeout!r}")
    if session is None and error is None and record is None:
        nothing = "not verified: no session was opened"
        return (
            Check("connected", CheckKind.INFRASTRUCTURE, True, nothing, verified=False),
            Check("auth", CheckKind.AUTH, True, nothing, verified=False),
            Check("contracts", CheckKind.CONTRACT, True, "not verified: no run", verified=False),
        )
    negative = transport.startswith("bad:")
    why = _short(str(error)) if error is not None else ""
    refused = (isinstance(error, SessionClosed) and error.code in AUTH_STAGE_CLOSE_CODES) or (
        isinstance(error, HandshakeRejected) and error.status in AUTH_REFUSED_STATUSES
    )
    if isinstance(error, SessionClosed) and refused:
        why = _short(f"closed {error.code} {error.reason!r}")
    checks: list[Check] = []
    infra, auth, contract_kind = CheckKind.INFRASTRUCTURE, CheckKind.AUTH, CheckKind.CONTRACT
    if error is not None and not refused:
        checks.append(Check("connected", infra, False, why))
        checks.append(Check("auth", auth, True, "not verified: never connected", verified=False))
    elif refused:
        how = (
            f"the upgrade was refused with HTTP {error.status}"
            if isinstance(error, HandshakeRejected)
            else f"the socket upgraded, then closed {getattr(error, 'code', '')}"
        )
        checks.append(Check("connected", infra, True, f"reached the service: {how}"))
        if negative:
            detail = f"refused as expected: {transport} is a known-bad format ({why})"
            checks.append(Check("auth", auth, True, detail))
        else:
            checks.append(Check("auth", auth, False, f"token rejected: {why}"))
    else:
        hs = getattr(session, "handshake", None)
        via = f" ({hs.transport})" if hs is not None and getattr(hs, "transport", None) else ""
        checks.append(Check("connected", infra, True, f"connected{via}"))
        verdict = getattr(session, "auth", None)
        validated = bool(verdict and verdict.validated and not verdict.bypass)
        text = str(verdict) if verdict is not None else "no auth verdict"
        if negative:
            detail = f"the known-bad format {transport} was accepted ({text})"
            checks.append(Check("auth", auth, False, detail))
        else:
            checks.append(Check("auth", auth, validated, text))
    if record is None:
        expected = " (expected: the token was refused)" if negative and refused else ""
        checks.append(
            Check("contracts", contract_kind, True, f"not verified: no run{expected}", False)
        )
        return tuple(checks)
    if record.outcome == RunOutcome.TIMEOUT:
        events = len(record.events)
        last = f", the last {record.events[-1].type}" if events else ""
        detail = (
            f"timed out after {timeout:g} s (run_timeout) with {plural(events, 'event')}"
            f"{last}; the client stopped waiting, which says nothing yet about the service"
        )
        checks.insert(0, Check("run", CheckKind.TIMEOUT, False, detail))
        detail = f"not verified: the run was cut off by the timeout ({contract.verdict})"
        checks.append(Check("contracts", contract_kind, True, detail, verified=False))
        return tuple(checks)
    # Before the no-event case: a 1011 right after the message leaves no event at all, and
    # "no agent events: not verified" alone made a crashed run exit 0.
    lost = _lost_mid_run(record)
    if lost is not None:
        checks.insert(0, lost)
    if contract.n_agent_events == 0 and not contract.errors:
        checks.append(Check("contracts", contract_kind, True, contract.verdict, verified=False))
    else:
        if lost is not None and _only_what_a_cut_explains(contract):
            detail = f"not verified: the connection closed mid-run ({contract.verdict})"
            checks.append(Check("contracts", contract_kind, True, detail, verified=False))
        else:
            checks.append(Check("contracts", contract_kind, contract.ok, contract.verdict))
    return tuple(checks)


def _only_what_a_cut_explains(contract: Any) -> bool:
    # (what any run cut off before its terminal event breaks, whatever the service did before)
    return all(f.says_only_stopped for f in contract.errors)


def _lost_mid_run(record: Any) -> Check | None:
    """A failing ``stayed_connected`` check when the service ended the connection before the
    run's terminal event. Going away, a dropped connection, a restart or a gateway (1001, 1006,
    1012-1014) is infrastructure (exit 9): the service went away, which a "never completed"
    contract verdict alone would blame on the event stream. Any other code (1011 internal
    error: the handler crashed) is the service failing the run, as the investigation report's
    ``connection_closed`` rule counts it (exit 3); 1008 mid-run is auth. A normal 1000, or a
    close the client started, is neither."""
    from netra_diag.closecodes import AUTH_FAILURE_CODES, rfc_meaning, service_meaning
    from netra_diag.live import RunOutcome

    close = getattr(record, "close", None)
    if record.outcome != RunOutcome.CLOSED or close is None:
        return None
    if close.initiated_by == "client" or close.code == 1000:
        return None
    events = len(record.events)
    last = f", the last {record.events[-1].type}" if events else ""
    how = (
        "the connection dropped mid-run"
        if close.initiated_by == "none"
        else "the service closed the connection mid-run"
    )
    meaning = service_meaning(close.code) or rfc_meaning(close.code)
    reason = f" (reason: {close.reason!r})" if close.reason else ""
    detail = _short(f"{how} after {plural(events, 'event')}{last}: {close.code} {meaning}{reason}")
    if close.code in AUTH_FAILURE_CODES:
        return Check("stayed_connected", CheckKind.AUTH, False, detail)
    if close.code in _WENT_AWAY:
        return Check("stayed_connected", CheckKind.INFRASTRUCTURE, False, detail)
    return Check("stayed_connected", CheckKind.CONTRACT, False, detail)


# Closes that say the service (or the way to it) went away, not that it failed the run.
_WENT_AWAY = frozenset({1001, 1006, 1012, 1013, 1014})
