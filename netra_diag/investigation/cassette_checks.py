"""Infrastructure, auth and isolation checks read from the cassettes themselves.

``collect`` leaves a fan-out summary (``collection.json``) beside its cassettes, and the report
judges those checks from it. A folder of cassettes recorded any other way (``netra-diag fanout
--record``, a CI artifact) has none; the report must not then quietly drop the checks, least of
all auth (a DEMO-mode recording would pass every contract and prove nothing). So they are read
from what every cassette holds: the upgrade mark, the user the server assigned in
``connection_established``, the events each session received.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from netra_diag.errors import HandshakeRejected, SessionClosed
from netra_diag.events.auth_evidence import bypass_evidence
from netra_diag.events.contracts import ContractReport
from netra_diag.events.isolation import IsolationVerdict, SessionView, check_isolation
from netra_diag.events.sources import CassetteStream
from netra_diag.live import judge_auth
from netra_diag.live.auth_verdict import auth_refusal
from netra_diag.report.summary import Check, CheckKind
from netra_diag.wording import plural

__all__ = ["cassette_checks", "connection_checks", "refusal"]

_SOURCE = "read from the cassettes: no fan-out summary beside them"


def _connected(stream: CassetteStream) -> bool:
    return any(m.name == "upgrade_done" for m in stream.marks) or bool(stream.events)


def refusal(stream: CassetteStream) -> str:
    """How the server refused this session's token, judged as probe and fan-out judge it
    (``auth_refusal``: a close with 1008, an upgrade or ticket refused with HTTP 401/403), or an
    ``AUTH_FAILED`` error frame (PROTOCOL.md §2); empty when it was not refused, or when a later
    transport got in (``auto`` tries several) and the server assigned a user."""
    if _server_user(stream) is not None:
        return ""
    for mark in stream.marks:
        data = mark.data if isinstance(mark.data, Mapping) else {}
        code, status = data.get("code"), data.get("status")
        exc: BaseException | None = None
        if mark.name == "close" and isinstance(code, int):
            exc = SessionClosed(code, str(data.get("reason") or ""))
        elif mark.name in ("handshake_rejected", "ticket_rejected") and isinstance(status, int):
            exc = HandshakeRejected(str(data.get("url") or ""), status)
        if exc is not None and (why := auth_refusal(exc)):
            return why
    for timed in stream.events:
        if timed.event.type == "error_message" and timed.event.fields.get("error_code") == (
            "AUTH_FAILED"
        ):
            return "AUTH_FAILED error frame"
    return ""


def _server_user(stream: CassetteStream) -> str | None:
    for timed in stream.events:
        if timed.event.type == "connection_established":
            user = timed.event.fields.get("user_id")
            return user if isinstance(user, str) and user else None
    return None


def cassette_checks(
    streams: Sequence[CassetteStream], contracts: Mapping[str, ContractReport]
) -> list[Check]:
    """The infrastructure, auth and isolation checks of ``streams`` (with their contract
    reports, by stream label)."""
    if not streams:
        return []
    total = len(streams)
    refused = {s.label: why for s in streams if (why := refusal(s))}
    # A refused session reached the service: its token failed (auth, exit 3), not the network.
    connected = [s for s in streams if _connected(s) and s.label not in refused]
    reached = len(connected) + len(refused)
    if refused:
        infra = (
            f"{reached} of {plural(total, 'recorded session')} reached the service, "
            f"{len(refused)} refused for the token ({_SOURCE})"
        )
    else:
        infra = f"{reached} of {plural(total, 'recorded session')} connected ({_SOURCE})"
    checks = [Check("infrastructure", CheckKind.INFRASTRUCTURE, reached == total, infra)]
    bypassed = [
        (s.label, why)
        for s in connected
        if (why := bypass_evidence(s, contracts[s.label]) if s.label in contracts else "")
    ]
    verdicts = [judge_auth(_server_user(s), s.user) for s in connected]
    failures = []
    if refused:
        label, why = next(iter(refused.items()))
        failures.append(
            f"token rejected on {len(refused)} of {plural(reached, 'session')} ({why}; {label})"
        )
    if bypassed:
        label, why = bypassed[0]
        failures.append(
            f"auth bypassed on {len(bypassed)} of {plural(reached, 'session')} ({label}: {why})"
        )
    elif any(v.bypass for v in verdicts):
        n = sum(v.bypass for v in verdicts)
        failures.append(f"auth bypassed on {n} of {plural(reached, 'session')}")
    if failures:
        checks.append(Check("auth", CheckKind.AUTH, False, "; ".join(failures)))
    elif not connected:
        detail = f"no session connected: auth not judged ({_SOURCE})"
        checks.append(Check("auth", CheckKind.AUTH, True, detail, verified=False))
    else:
        unknown = sum(v.validated is None for v in verdicts)
        if unknown:
            detail = (
                f"auth not judged on {unknown} of {plural(len(connected), 'session')}: no "
                f"server user id or no user in the cassette ({_SOURCE})"
            )
            checks.append(Check("auth", CheckKind.AUTH, True, detail, verified=False))
        else:
            # Judged on the sessions that connected only: "all 3" of 3 recorded when 2
            # connected would claim a session the server never saw.
            n = len(connected)
            on = "the one session" if n == 1 else f"all {n} sessions"
            that = f" that connected ({n} of {total})" if n < total else ""
            detail = f"token sub matched the server user on {on}{that}"
            checks.append(Check("auth", CheckKind.AUTH, True, detail))
    checks.append(_isolation(connected, total))
    return checks


def _isolation(connected: Sequence[CassetteStream], total: int) -> Check:
    views = [
        SessionView(
            user_id=s.user or "",
            events=s.events,
            thread_ids=s.threads,
            server_user_id=_server_user(s),
            label=s.label,
        )
        for s in connected
        if s.user
    ]
    report = check_isolation(views)
    verdict = report.verdict
    reasons = "; ".join(report.reasons)
    if len(connected) < 2 <= total:
        # Not "fewer than two sessions": there were more; they did not connect.
        reasons = f"only {len(connected)} of {plural(total, 'recorded session')} connected"
    detail = f"cross-user isolation: {verdict.value}" + (f" ({reasons})" if reasons else "")
    if verdict is IsolationVerdict.ISOLATED:
        return Check("isolation", CheckKind.CONTRACT, True, detail)
    if verdict is IsolationVerdict.CONTAMINATED:
        found = report.findings[0]
        return Check("isolation", CheckKind.CONTRACT, False, f"{detail}: {found}")
    return Check("isolation", CheckKind.CONTRACT, True, detail, verified=False)


def connection_checks(cassettes: Iterable[str | os.PathLike[str]]) -> list[Check]:
    """The infrastructure and auth checks of ``cassettes`` alone (``cassette_checks`` without
    isolation), for a report about something else, latency say: recordings in which no session
    connected must not read as an SLA that merely lacked data. Cassettes that cannot be read
    are left out (the caller's loader has said why)."""
    from netra_diag.errors import RecordingError
    from netra_diag.events.contracts import check_run
    from netra_diag.events.sources import load_cassette_stream

    # (here: contract_check imports this module's refusal)
    from netra_diag.investigation.contract_check import cut_short_runs, cut_short_words

    streams = []
    for path in cassettes:
        try:
            streams.append(load_cassette_stream(path))
        except RecordingError:
            continue
    contracts = {s.label: check_run(s.events, context=s.context()) for s in streams}
    checks = [c for c in cassette_checks(streams, contracts) if c.name != "isolation"]
    # Runs the client stopped waiting for: their times are missing from any sample drawn from
    # these recordings, and each took at least the wait (a timeout, exit 4, as the
    # investigation report says of them).
    cut = {s.label: found for s in streams if (found := cut_short_runs(s))}
    if cut:
        words = cut_short_words(cut)
        checks.append(
            Check(
                "runs",
                CheckKind.TIMEOUT,
                False,
                f"{words}: their timings are only known to be at least the client's wait",
            )
        )
    return checks
