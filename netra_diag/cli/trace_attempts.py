"""What ``netra-diag trace`` says about the transports a session tried before the one it kept
(``--transport auto``): lines for the terminal, and slices for the exported trace.

A cassette of an ``auto`` session holds every attempt (docs/cassette-format.md: a
``connect_start`` and a ``transport_attempt`` mark each); ``latency.openings`` groups them into
openings and says which one was kept. (The session track's connect slice of a refused attempt is
named so where the timeline is built: ``events.timeline_connects``.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from netra_diag.events.trace import trace_us
from netra_diag.latency.openings import AttemptRole, AttemptView, opening_attempts
from netra_diag.redaction import scrub

__all__ = ["add_attempt_slices", "attempt_lines", "attempts_of"]

_DETAIL_CHARS = 80
_ORDINALS = ("first", "second", "third", "fourth")


def attempts_of(marks: Iterable[Any]) -> list[tuple[AttemptView, ...]]:
    """The openings (connect, then each reconnect) of a cassette's marks (``name``, ``t``
    seconds, ``data``), each as its transport attempts."""
    triples = ((m.name, m.t, m.data if isinstance(m.data, dict) else {}) for m in marks)
    return opening_attempts(triples)


def _worth_listing(group: tuple[AttemptView, ...]) -> bool:
    # One transport that got in says nothing the rest of the output does not.
    return len(group) > 1 or any(a.role is not AttemptRole.KEPT for a in group)


def _ordinal(n: int) -> str:
    return _ORDINALS[n - 1] if 0 < n <= len(_ORDINALS) else f"#{n}"


def _detail(attempt: AttemptView) -> str:
    text = scrub(" ".join(attempt.detail.split()))
    if len(text) > _DETAIL_CHARS:
        text = text[: _DETAIL_CHARS - 1] + "…"
    return f' "{text}"' if text else ""


def _took(attempt: AttemptView) -> str:
    return f"{attempt.duration_ms:.1f} ms" if math.isfinite(attempt.duration_ms) else "? ms"


def _what(attempt: AttemptView) -> str:
    role = attempt.role
    if role is AttemptRole.KEPT:
        user = f" (server user {attempt.server_user_id!r})" if attempt.server_user_id else ""
        return f"kept: {attempt.how}{user}"
    if role is AttemptRole.EXTRA:
        return f"connected ({attempt.how}), closed for the one kept"
    return f"refused: {attempt.how}{_detail(attempt)}"


def attempt_lines(groups: Sequence[tuple[AttemptView, ...]]) -> list[str]:
    """Indented lines for the terminal, one block per opening that tried more than one
    transport or was refused."""
    lines: list[str] = []
    for number, group in enumerate(groups, 1):
        if not _worth_listing(group):
            continue
        which = "connect" if number == 1 else f"reconnect {number - 1}"
        kept = next((i for i, a in enumerate(group, 1) if a.role is AttemptRole.KEPT), None)
        refused = sum(a.role in (AttemptRole.FALLBACK, AttemptRole.REFUSED) for a in group)
        refused += sum(a.role is AttemptRole.FOLDED for a in group)
        if kept is None:
            head = f"refused on every transport tried ({len(group)})"
        else:
            head = (
                f"in on {group[kept - 1].transport}, the {_ordinal(kept)} transport tried, "
                f"after {refused} refusal{'s' if refused != 1 else ''}"
                if refused
                else f"in on {group[kept - 1].transport}"
            )
        lines.append(f"  {which}: {head}")
        width = max(len(a.transport) for a in group)
        for attempt in group:
            lines.append(f"    {attempt.transport:<{width}}  {_took(attempt):>9}  {_what(attempt)}")
    return lines


def add_attempt_slices(
    trace: dict[str, Any],
    pid: int,
    groups: Sequence[tuple[AttemptView, ...]],
    offset: float,
) -> None:
    """Add a "transport attempts" track to process ``pid`` of ``trace``: one slice per attempt
    (refused ones named with their HTTP status or close code). ``offset`` is the time the
    process's timestamps count from."""
    events: list[dict[str, Any]] = trace["traceEvents"]
    if not any(_worth_listing(group) for group in groups):
        return
    # A thread id no track of this process uses (the session's overlap lanes count up from 2);
    # the sort index puts it right below the session track.
    tid = 1 + max((ev.get("tid", 0) for ev in events if ev.get("pid") == pid), default=1)
    for name, value in (
        ("thread_name", {"name": "transport attempts"}),
        ("thread_sort_index", {"sort_index": 1}),
    ):
        events.append({"ph": "M", "name": name, "pid": pid, "tid": tid, "args": value})
    for number, group in enumerate(groups, 1):
        for index, attempt in enumerate(group, 1):
            start, end = attempt.start_t, attempt.end_t
            if not math.isfinite(start) and math.isfinite(end):
                took = attempt.duration_ms if math.isfinite(attempt.duration_ms) else 0.0
                start = end - took / 1e3
            if not math.isfinite(start):
                continue
            dur = (end - start) if math.isfinite(end) and end >= start else 0.0
            role = "kept" if attempt.role is AttemptRole.KEPT else str(attempt.role)
            if attempt.role in (AttemptRole.FALLBACK, AttemptRole.REFUSED, AttemptRole.FOLDED):
                role = "refused"
            args: dict[str, Any] = {
                "label": f"{attempt.transport}: {_what(attempt)}",
                "transport": attempt.transport,
                "outcome": attempt.outcome,
                "how": attempt.how,
                "opening": number,
                "attempt": index,
                "duration_ms": (
                    round(attempt.duration_ms, 3) if math.isfinite(attempt.duration_ms) else None
                ),
            }
            if attempt.detail:
                args["detail"] = scrub(attempt.detail)[:4000]
            events.append(
                {
                    "ph": "X",
                    "name": f"{role} {attempt.transport} ({attempt.how})",
                    "cat": "transport_attempt",
                    "pid": pid,
                    "tid": tid,
                    "ts": trace_us(start, offset),
                    "dur": round(dur * 1e6, 3),
                    "args": args,
                }
            )
