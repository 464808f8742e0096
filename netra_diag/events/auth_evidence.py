"""What in a recording says that its auth was bypassed (PROTOCOL.md §2: DEMO and RELAXED modes
accept any connection and hand out synthetic user ids), so that a pass is not read as proof."""

from __future__ import annotations

from netra_diag.events.contracts import ContractReport
from netra_diag.events.rules.base import Rule
from netra_diag.events.sources import CassetteStream

__all__ = ["bypass_evidence"]


def bypass_evidence(stream: CassetteStream, report: ContractReport) -> str:
    """Why this recording's auth looks bypassed ("" when it does not): the session recorded a
    ``bypass`` transport outcome, or its contract check (``report``) found the synthetic user
    ids of DEMO/RELAXED auth."""
    for mark in stream.marks:
        if mark.name == "transport_attempt" and mark.data.get("outcome") == "bypass":
            return f"transport {mark.data.get('transport') or '?'} recorded outcome 'bypass'"
    for item in report.findings:
        if item.rule == Rule.ISOLATION_UNVERIFIED:
            return "synthetic user id: the token was not validated"
    return ""
