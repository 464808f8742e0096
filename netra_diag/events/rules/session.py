"""Session-wide rules: frames we could not read, error frames, whether anything was observed at all,
and whether every event belongs to this session's user and threads (PROTOCOL.md §5, §7)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from netra_diag.closecodes import AUTH_REFUSED_STATUSES, explain_close
from netra_diag.events.attempts import failed_openings
from netra_diag.events.model import EventKind, TimedEvent
from netra_diag.events.rules.base import (
    ContractContext,
    Finding,
    Rule,
    Severity,
    at,
    clip,
    describe,
    finding,
)
from netra_diag.events.runs import assign_runs
from netra_diag.wording import plural

__all__ = [
    "check_close",
    "check_connected",
    "check_error_frames",
    "check_frame_size",
    "check_frames",
    "check_handshake",
    "check_isolation",
    "check_observed",
]

# Frames whose user_id is truncated or absent by design (PROTOCOL.md §5: connection_established
# carries a truncated user id): they say nothing about ownership.
_OWNERSHIP_EXEMPT = frozenset({EventKind.CONTROL, EventKind.INVALID})
_CUT = ("...", "…")


def check_frames(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """Frames that are not JSON objects with a type are errors; unknown types are noted."""
    unknown: dict[str, list[TimedEvent]] = {}
    for te in events:
        kind = te.event.kind
        if kind is EventKind.INVALID:
            problem = te.event.problem or "unreadable frame"
            raw = f": {clip(te.event.raw, 80)}" if te.event.raw else ""
            yield finding(
                Rule.INVALID_FRAME,
                Severity.ERROR,
                # Whatever the runs did, the server put a frame on the wire that no client can
                # read (PROTOCOL.md §5: every frame is a JSON object with a type): a real finding,
                # also when it follows agent_completed.
                f"the server sent an unusable frame: frame #{te.index} at {at(te.t)} is not a "
                f"valid event ({problem}){raw}",
                None,
                (te,),
            )
        elif kind is EventKind.UNKNOWN:
            unknown.setdefault(te.type, []).append(te)
    for name, items in unknown.items():
        times = ", ".join(at(te.t) for te in items[:3]) + (" …" if len(items) > 3 else "")
        yield finding(
            Rule.UNKNOWN_FRAME,
            Severity.INFO,
            f"{plural(len(items), 'frame')} of unknown type {clip(name, 60)!r} at {times}",
            None,
            items,
        )


def _error_text(te: TimedEvent) -> str:
    fields = te.event.fields
    for key in ("error_message", "message", "error", "reason", "details"):
        value = fields.get(key)
        if value not in (None, "", {}, []):
            return clip(value, 160)
    return ""


def check_error_frames(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """Error frames, agent failures and tool errors, with their code and message."""
    runs = assign_runs(events)
    for te, run in zip(events, runs, strict=True):
        etype = te.type
        if te.event.kind is EventKind.ERROR or etype in ("agent_error", "agent_death"):
            severity = Severity.ERROR
        elif etype == "tool_error":
            severity = Severity.WARNING
        else:
            continue
        code = te.event.error_code
        head = f"{etype} {clip(code, 60)}" if code else etype
        tool = te.event.tool_name
        if tool is not None and etype == "tool_error":
            head += f" for {clip(tool, 60)}"
        text = _error_text(te)
        where = f" in run {run}" if run is not None else ""
        yield finding(
            Rule.ERROR_FRAME,
            severity,
            f"{head} at {at(te.t)}{where}" + (f": {text}" if text else ""),
            run,
            (te,),
        )


def check_observed(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """A stream without any agent event proves nothing: say so instead of passing it."""
    if any(te.event.kind is EventKind.AGENT for te in events):
        return
    if not events:
        summary = "no frames at all"
    else:
        counts = Counter(te.type or "invalid" for te in events)
        listed = ", ".join(f"{n}× {name}" for name, n in counts.most_common(4))
        summary = f"{plural(len(events), 'frame')}: {listed}" + (" …" if len(counts) > 4 else "")
    yield finding(
        Rule.NO_AGENT_EVENTS,
        Severity.WARNING,
        f"no agent events observed ({summary}); no run contract could be checked",
        None,
        events[:1],
    )


def check_isolation(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """No event carries another user's ``user_id`` or a thread this session did not create.

    A synthetic user id (DEMO's shared ``demo-user-001``, ``relaxed_<n>``, ``emergency_<ts>``)
    means the token was not validated and every user looks alike: isolation is then reported as
    unverifiable rather than as contamination or as fine (PROTOCOL.md §2, §7).
    """
    prefixes = context.config.synthetic_user_prefixes
    expected_user = context.expected_user
    threads = context.expected_threads
    if expected_user is not None and expected_user.startswith(prefixes):
        yield finding(
            Rule.ISOLATION_UNVERIFIED,
            Severity.WARNING,
            f"this session's user is the synthetic id {clip(expected_user, 60)!r} (permissive "
            "DEMO/RELAXED auth): the token was not validated and isolation cannot be verified",
        )
        expected_user = None
    owner_known = context.expected_user is not None
    runs = assign_runs(events)
    synthetic_seen: set[str] = set()
    users: dict[str, list[TimedEvent]] = {}
    for te, run in zip(events, runs, strict=True):
        if te.event.kind in _OWNERSHIP_EXEMPT:
            continue
        user, thread = te.event.user_id, te.event.thread_id
        # Agent events only: an error frame may name a service account ("system") rather than
        # the user, and a cut id ("probe-us...") names no one for sure.
        if (
            te.event.kind is EventKind.AGENT
            and user is not None
            and not user.startswith(prefixes)
            and not user.endswith(_CUT)
        ):
            users.setdefault(user, []).append(te)
        if user is not None and user.startswith(prefixes):
            if user not in synthetic_seen:
                synthetic_seen.add(user)
                yield finding(
                    Rule.ISOLATION_UNVERIFIED,
                    Severity.WARNING,
                    f"{describe(te)} carries the synthetic user id {clip(user, 60)!r} (permissive "
                    "DEMO/RELAXED auth): the token was not validated and isolation cannot be "
                    "verified",
                    run,
                    (te,),
                )
            continue
        where = f" (run {run})" if run is not None else ""
        if expected_user is not None and user is not None and user != expected_user:
            yield finding(
                Rule.FOREIGN_EVENT,
                Severity.ERROR,
                f"{describe(te)} carries user_id {clip(user, 60)!r}, not this session's "
                f"{clip(expected_user, 60)!r}: cross-user contamination{where}",
                run,
                (te,),
            )
        elif threads and thread is not None and thread not in threads:
            yield finding(
                Rule.FOREIGN_EVENT,
                Severity.ERROR,
                f"{describe(te)} carries thread_id {clip(thread, 60)!r}, not one of this "
                f"session's threads: cross-user contamination{where}",
                run,
                (te,),
            )

    if not owner_known and len(users) > 1:
        yield _several_users(users)


def _several_users(users: dict[str, list[TimedEvent]]) -> Finding:
    """One connection belongs to one user (PROTOCOL.md §7): events of several users on it are
    contamination even when whose session it is was not said."""
    listed = " and ".join(
        f"{clip(user, 40)!r} ({plural(len(items), 'event')} from {at(items[0].t)})"
        for user, items in list(users.items())[:3]
    )
    more = f" and {len(users) - 3} more" if len(users) > 3 else ""
    first_other = min((items[0] for items in list(users.values())[1:]), key=lambda te: te.t)
    # No indices: which user's events are foreign is unknown, so none is taken out of the runs.
    return Finding(
        Rule.FOREIGN_EVENT,
        Severity.ERROR,
        f"events of {len(users)} users arrived on one connection: {listed}{more}: cross-user "
        "contamination (the session's own user was not given, so which are foreign is not known)",
        None,
        (),
        (first_other.t,),
    )


def check_close(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """Every close other than a normal one (1000) is reported with what this service means by its
    code (PROTOCOL.md §6, RFC 6455 §7.4); needs the client's ``close`` marks in the context."""
    normal = context.config.normal_close_codes
    for mark in context.marks:
        if mark.name != "close":
            continue
        code = mark.data.get("code")
        number = code if isinstance(code, int) and not isinstance(code, bool) else None
        if number is not None and number in normal:
            continue
        reason = mark.data.get("reason")
        text = explain_close(number, reason if isinstance(reason, str) else "")
        yield Finding(
            Rule.CONNECTION_CLOSED,
            Severity.ERROR,
            f"connection closed at {at(mark.t)}: {clip(text, 240)}",
            None,
            (),
            (mark.t,),
        )


def check_connected(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """A recorded opening none of whose attempts connected (an upgrade refused with HTTP 403 as
    factory mode refuses credentials, no answer at all) is how the session failed, not an
    absence of events to judge; needs the client's ``transport_attempt`` marks. A close during
    the opening (1008 after AUTH_FAILED) is ``check_close``'s."""
    for attempts in failed_openings(context.marks):
        tried = []
        for attempt in attempts:
            data = attempt.data
            status, code = data.get("status"), data.get("close_code")
            if isinstance(code, int):
                how = f"closed {code}"
            elif isinstance(status, int):
                how = f"upgrade refused with HTTP {status}"
                if status in AUTH_REFUSED_STATUSES:
                    how += " (credentials refused)"
            else:
                detail = data.get("detail")
                how = "no answer" + (f" ({clip(detail, 120)})" if detail else "")
            tried.append(f"{data.get('transport', '?')}: {how}")
        if all(isinstance(a.data.get("close_code"), int) for a in attempts):
            continue  # every attempt was closed: check_close says how
        yield Finding(
            Rule.NOT_CONNECTED,
            Severity.ERROR,
            f"never connected at {at(attempts[0].start)}: " + "; ".join(tried),
            None,
            (),
            (attempts[0].start,),
        )


def check_handshake(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """The newest generation's handshake finished (PROTOCOL.md §5): after the client answered
    ``handshake_response`` the service sends ``handshake_complete`` and refuses requests until
    then. An ``establish_timeout`` mark awaiting it means the client gave up waiting and went on
    without it, which a client that waits, as that generation requires, never does."""
    for mark in context.marks:
        if mark.name != "establish_timeout" or mark.data.get("awaiting") != "handshake_complete":
            continue
        waited = mark.data.get("waited_s")
        within = f" within {waited:g} s" if isinstance(waited, int | float) else ""
        yield Finding(
            Rule.HANDSHAKE_INCOMPLETE,
            Severity.ERROR,
            f"handshake_complete never arrived{within} at {at(mark.t)} after handshake_response "
            "was acknowledged (newest generation): the service refuses requests until it; the "
            "client went on without it",
            None,
            (),
            (mark.t,),
        )


def check_frame_size(events: Sequence[TimedEvent], context: ContractContext) -> Iterator[Finding]:
    """No frame exceeds the service's ``max_message_size`` (1 MiB, PROTOCOL.md §1): a client that
    enforces the limit closes with 1009 instead of reading it."""
    limit = context.config.max_message_size
    for te in events:
        size = context.frame_sizes.get(te.index)
        if size is None:
            size = len(te.event.raw.encode("utf-8", "surrogatepass"))
        if size > limit:
            yield finding(
                Rule.OVERSIZED_FRAME,
                Severity.ERROR,
                f"{describe(te)} is {size:,} bytes, over the service's max_message_size of "
                f"{limit:,} bytes (clients that enforce it close with 1009)",
                None,
                (te,),
            )
