"""Infrastructure, auth and isolation checks read from the cassettes themselves.

``collect`` leaves a fan-out summary (``collection.json``) beside its cassettes, and the report
judges those checks from it. A folder of cassettes recorded any other way (``netra-diag fanout
--record``, a CI artifact) has none; the report must not then quietly drop the checks, least of
all auth (a DEMO-mode recording would pass every contract and prove nothing). So they are read
from what every cassette holds: the upgrade mark, the user the server assigned in
``connection_established``, the events each session received.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from netra_diag.events.auth_evidence import bypass_evidence
from netra_diag.events.contracts import ContractReport
from netra_diag.events.isolation import IsolationVerdict, SessionView, check_isolation
from netra_diag.events.sources import CassetteStream
from netra_diag.live import judge_auth
from netra_diag.report.summary import Check, CheckKind
from netra_diag.wording import plural

__all__ = ["cassette_checks"]

_SOURCE = "read from the cassettes: no fan-out summary beside them"


def _connected(stream: CassetteStream) -> bool:
    return any(m.name == "upgrade_done" for m in stream.marks) or bool(stream.events)


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
    connected = [s for s in streams if _connected(s)]
    checks = [
        Check(
            "infrastructure",
            CheckKind.INFRASTRUCTURE,
            len(connected) == total,
            f"{len(connected)} of {plural(total, 'recorded session')} connected ({_SOURCE})",
        )
    ]
    bypassed = [
        (s.label, why)
        for s in connected
        if (why := bypass_evidence(s, contracts[s.label]) if s.label in contracts else "")
    ]
    verdicts = [judge_auth(_server_user(s), s.user) for s in connected]
    if bypassed:
        label, why = bypassed[0]
        detail = (
            f"auth bypassed on {len(bypassed)} of {plural(len(connected), 'session')} "
            f"({label}: {why})"
        )
        checks.append(Check("auth", CheckKind.AUTH, False, detail))
    elif any(v.bypass for v in verdicts):
        n = sum(v.bypass for v in verdicts)
        detail = f"auth bypassed on {n} of {plural(len(connected), 'session')}"
        checks.append(Check("auth", CheckKind.AUTH, False, detail))
    else:
        unknown = sum(v.validated is None for v in verdicts)
        if unknown or not connected:
            detail = (
                f"auth not judged on {unknown} of {plural(len(connected), 'session')}: no "
                f"server user id or no user in the cassette ({_SOURCE})"
            )
            checks.append(Check("auth", CheckKind.AUTH, True, detail, verified=False))
        else:
            detail = f"token sub matched the server user on all {plural(total, 'session')}"
            checks.append(Check("auth", CheckKind.AUTH, True, detail))
    checks.append(_isolation(connected))
    return checks


def _isolation(connected: Sequence[CassetteStream]) -> Check:
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
    detail = f"cross-user isolation: {verdict.value}" + (f" ({reasons})" if reasons else "")
    if verdict is IsolationVerdict.ISOLATED:
        return Check("isolation", CheckKind.CONTRACT, True, detail)
    if verdict is IsolationVerdict.CONTAMINATED:
        found = report.findings[0]
        return Check("isolation", CheckKind.CONTRACT, False, f"{detail}: {found}")
    return Check("isolation", CheckKind.CONTRACT, True, detail, verified=False)
