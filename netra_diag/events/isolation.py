"""Multi-user isolation: did any user receive another user's events? (PROTOCOL.md §7)

Pure core: no I/O, no clock. The input is what each session *claimed* (the token's ``sub``), what
the server *assigned* (the user id from ``connection_established``), the thread ids and the message
contents the session sent, and the events it received. The output is an :class:`IsolationReport`
with one of three verdicts:

- ``contaminated``: at least one event carried a ``user_id``, ``thread_id`` (or ``run_id``) or a
  sent content that belongs to a *different* identity;
- ``cannot judge``: isolation is not observable — the server gave several users one shared id
  (DEMO mode's ``demo-user-001``), fewer than two sessions, or no events at all. A triage tool must
  say so rather than report "isolated" (PROTOCOL.md §7, §9 "vacuous passes");
- ``isolated``: every event each user received belongs to that user.

Sessions that share a server identity are one identity here: the service routes by ``user_id``, so
what they receive from each other is not evidence of a leak. They are still checked against every
other identity, so a leak across identity groups is reported even when some users share an id.

How an event is tied to its owner (ids, contents, the identity the server gave a session) is
:mod:`netra_diag.events.isolation_evidence`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from netra_diag.errors import ContractViolation
from netra_diag.events.isolation_evidence import (
    CONTENT_PREFIX,
    MIN_CONTENT_LENGTH,
    SYNTHETIC_USER_PREFIXES,
    TRUNCATED_USER_ID_EVENTS,
    as_event,
    content_keys,
    content_matcher,
    foreign_content,
    observed_identity,
    owner_index,
    searchable_text,
)
from netra_diag.events.model import Event, TimedEvent
from netra_diag.wording import plural

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CONTENT_PREFIX",
    "MIN_CONTENT_LENGTH",
    "SYNTHETIC_USER_PREFIXES",
    "IsolationFinding",
    "IsolationReport",
    "IsolationVerdict",
    "SessionView",
    "check_isolation",
]


class IsolationVerdict(StrEnum):
    ISOLATED = "isolated"
    CONTAMINATED = "contaminated"
    CANNOT_JUDGE = "cannot judge"


@dataclass(frozen=True, slots=True)
class SessionView:
    """What one user's session claimed, sent and received.

    ``user_id`` is the user the client meant to be (the token's ``sub``); ``server_user_id`` the id
    the server reported for the connection (None when unknown); a truncated one (``"fanout-u..."``,
    as ``connection_established`` shows it) is resolved against the ids the events carry.
    ``thread_ids``, ``run_ids`` and ``contents`` are what this user created or sent; ``events``
    what it received, in order.
    """

    user_id: str
    events: Sequence[Event | TimedEvent] = ()
    thread_ids: Iterable[str] = ()
    contents: Iterable[str] = ()
    server_user_id: str | None = None
    run_ids: Iterable[str] = ()
    label: str | None = None  # shown instead of user_id in findings, e.g. a cassette name

    @property
    def name(self) -> str:
        return self.label or self.user_id


@dataclass(frozen=True, slots=True)
class IsolationFinding:
    """One event a user received that belongs to someone else."""

    receiver: str  # SessionView.name of the session that received it
    owner: str  # SessionView.name of the session it belongs to
    field: str  # "user_id", "thread_id", "run_id" or "content"
    value: str
    event_type: str
    event_index: int  # position in the receiver's event sequence
    t: float | None = None  # client time of the event, when known

    def __str__(self) -> str:
        when = f" at t={self.t:.3f}s" if self.t is not None else ""
        return (
            f"{self.receiver} received {self.event_type or 'a frame'} #{self.event_index}{when} "
            f"carrying {self.owner}'s {self.field} {self.value!r}"
        )


@dataclass(frozen=True, slots=True)
class IsolationReport:
    verdict: IsolationVerdict
    findings: tuple[IsolationFinding, ...] = ()
    reasons: tuple[str, ...] = ()  # why "cannot judge", or notes (ambiguous ids, bypasses)
    n_sessions: int = 0
    n_events: int = 0
    shared_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.verdict is IsolationVerdict.ISOLATED

    @property
    def contaminated_sessions(self) -> tuple[str, ...]:
        return tuple(sorted({f.receiver for f in self.findings}))

    def summary(self) -> str:
        head = (
            f"isolation: {self.verdict.value} ({plural(self.n_sessions, 'session')}, "
            f"{plural(self.n_events, 'event')}"
        )
        if self.findings:
            # One event may carry several foreign ids (user_id and thread_id): a finding each.
            events = len({(f.receiver, f.event_index) for f in self.findings})
            head += (
                f", {plural(events, 'cross-user event')} in "
                f"{plural(len(self.contaminated_sessions), 'session')}"
            )
        head += ")"
        lines = [head, *(f"  - {r}" for r in self.reasons)]
        lines += [f"  ! {f}" for f in self.findings[:10]]
        if len(self.findings) > 10:
            lines.append(f"  ! ... {len(self.findings) - 10} more")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per finding: receiver, owner, field, value, event_type, event_index, t."""
        import pandas as pd

        columns = ["receiver", "owner", "field", "value", "event_type", "event_index", "t"]
        rows = [
            (f.receiver, f.owner, f.field, f.value, f.event_type, f.event_index, f.t)
            for f in self.findings
        ]
        return pd.DataFrame(rows, columns=columns)

    def raise_for_findings(self) -> None:
        """Raise :class:`ContractViolation` unless the verdict is ``isolated``."""
        if self.verdict is not IsolationVerdict.ISOLATED:
            raise ContractViolation(self.findings, self.summary())


def check_isolation(sessions: Sequence[SessionView]) -> IsolationReport:
    """Flag every received event whose user id, thread id, run id or content belongs to another
    user's session; say "cannot judge" when the server's identities make that unobservable."""
    views = list(sessions)
    n_events = sum(len(v.events) for v in views)
    reasons: list[str] = []

    # Identity: the server-assigned id when known, else the claimed one. Sessions with one identity
    # form one group; a group with several *claimed* users means the server merged them.
    identity = [
        observed_identity(v.user_id, v.server_user_id, v.events) or v.user_id for v in views
    ]
    groups: dict[str, int] = {}
    group_of = [groups.setdefault(ident, len(groups)) for ident in identity]
    members: dict[str, list[str]] = defaultdict(list)
    for view, ident in zip(views, identity, strict=True):
        members[ident].append(view.name)
    shared = {
        ident: tuple(names)
        for ident, names in members.items()
        if len({v.user_id for v, i in zip(views, identity, strict=True) if i == ident}) > 1
    }
    for ident, names in shared.items():
        reasons.append(
            f"{len(names)} users share the server id {ident!r}: the server cannot tell them "
            "apart, so isolation between them cannot be judged"
        )
    bypassed = sorted({i for v, i in zip(views, identity, strict=True) if i != v.user_id})
    if bypassed and not shared:
        reasons.append(
            f"server assigned ids other than the token subs ({', '.join(bypassed[:5])}"
            f"{', ...' if len(bypassed) > 5 else ''}): auth may have been bypassed"
        )

    user_owner, _ = owner_index(
        [{v.user_id, i} for v, i in zip(views, identity, strict=True)], group_of
    )
    thread_owner, amb_threads = owner_index([list(v.thread_ids) for v in views], group_of)
    run_owner, _ = owner_index([list(v.run_ids) for v in views], group_of)
    content_lists = [content_keys(v.contents) for v in views]
    content_owner, amb_contents = owner_index(content_lists, group_of)
    if amb_threads:
        reasons.append(
            f"{plural(len(amb_threads), 'thread id')} used by several users "
            f"{'was' if len(amb_threads) == 1 else 'were'} not checked"
        )
    if amb_contents:
        reasons.append(
            f"{plural(len(amb_contents), 'message')} sent by several users "
            f"{'was' if len(amb_contents) == 1 else 'were'} not checked"
        )
    matcher = content_matcher(content_owner)
    group_name = {g: ident for ident, g in groups.items()}

    def owner_name(group: int) -> str:
        ident = group_name[group]
        names = members[ident]
        return names[0] if len(names) == 1 else ident

    findings: list[IsolationFinding] = []
    for view, own in zip(views, group_of, strict=True):
        for index, item in enumerate(view.events):
            event, t = as_event(item)
            flagged: list[tuple[str, str, int]] = []
            uid = event.user_id
            if uid and event.type not in TRUNCATED_USER_ID_EVENTS:
                g = user_owner.get(uid)
                if g is not None and g != own:
                    flagged.append(("user_id", uid, g))
            for fname, value, table in (
                ("thread_id", event.thread_id, thread_owner),
                ("run_id", event.run_id, run_owner),
            ):
                if value:
                    g = table.get(value)
                    if g is not None and g != own:
                        flagged.append((fname, value, g))
            if matcher is not None:
                foreign = foreign_content(searchable_text(event), matcher, content_owner, own)
                if foreign is not None:
                    flagged.append(("content", foreign[0], foreign[1]))
            for fname, value, g in flagged:
                findings.append(
                    IsolationFinding(view.name, owner_name(g), fname, value, event.type, index, t)
                )

    if findings:
        verdict = IsolationVerdict.CONTAMINATED
    elif len(views) < 2:
        verdict = IsolationVerdict.CANNOT_JUDGE
        reasons.insert(0, "fewer than two sessions: nothing to be isolated from")
    elif len(groups) < 2:
        verdict = IsolationVerdict.CANNOT_JUDGE
    elif n_events == 0:
        verdict = IsolationVerdict.CANNOT_JUDGE
        reasons.insert(0, "no events were received: isolation was not exercised")
    elif shared:
        verdict = IsolationVerdict.CANNOT_JUDGE
    else:
        verdict = IsolationVerdict.ISOLATED
    return IsolationReport(
        verdict=verdict,
        findings=tuple(findings),
        reasons=tuple(reasons),
        n_sessions=len(views),
        n_events=n_events,
        shared_ids=shared,
    )
