"""Which connection attempts of a cassette were connects: ``auto``'s transports grouped into the
openings a user actually made.

A session opens its socket once, and again on each reconnect: an *opening*. With
``--transport auto`` one opening may try up to four transports (docs/cassette-format.md:
``connect_start`` with ``attempt`` 1, 2 … and one ``transport_attempt`` mark each) and keeps one
socket: the first whose server user matched the token's sub, else the first that connected at
all. The others are not connects of that user. A refused attempt (``rejected``: an HTTP status
other than 101, e.g. 403; ``closed``: accepted, then closed before being established, e.g. 1008;
``failed``: no answer, or no ticket) is an attempt, not an upgrade: before the transport kept it
is an *auto fallback*; when every transport of the opening was refused, the opening is one
failed connect, however many transports it tried. A connected attempt auto did not keep was the
same user's session opened once more and closed by the client, not another connect.

``Openings`` follows one cassette's marks (``PhaseScanner`` feeds it). Which attempts make an
opening is ``events.attempts.OpeningTracker``'s to say (the event contract reads the same
grouping), and which socket auto kept is ``events.attempts.keeps_over``'s; this adds the rows of
the connection phases (``connect``, ``auth``, ``time_to_established``, ``handshake``) each
attempt wrote, which of them to drop, and which refused attempts were fallbacks. Cassettes
without ``transport_attempt`` marks (older recorders, hand-made tables) keep every row as before:
nothing tells their attempts apart.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from netra_diag.events.attempts import (
    CONNECTED_OUTCOMES,
    REFUSED_OUTCOMES,
    Attempt,
    OpeningTracker,
    keeps_over,
)
from netra_diag.latency.cell_values import as_data
from netra_diag.wording import plural

__all__ = [
    "CONNECTED_OUTCOMES",
    "REFUSED_OUTCOMES",
    "AttemptRole",
    "AttemptView",
    "Fallback",
    "Openings",
    "OpeningsSummary",
    "feed",
    "opening_attempts",
    "summarize_openings",
]


@dataclass(frozen=True, slots=True)
class Fallback:
    """One refused attempt that was not the opening's connect: ``how`` is ``closed 1008``,
    ``rejected HTTP 403`` or ``failed``; ``duration_ms`` the time it took (NaN if unknown)."""

    cassette: str
    transport: str
    how: str
    duration_ms: float

    @property
    def label(self) -> str:
        return f"{self.transport}: {self.how}"


class AttemptRole(StrEnum):
    """What one transport attempt was to its opening."""

    PENDING = "pending"  # under way: no transport_attempt mark yet
    KEPT = "kept"  # the opening's connect
    EXTRA = "extra"  # connected, but auto kept another socket
    REFUSED = "refused"  # refused; stands for the opening's failure until another gets in
    FOLDED = "folded"  # refused, in an opening a later refusal stands for
    FALLBACK = "fallback"  # refused, in an opening another transport got in


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One transport attempt of an opening, for a report: ``how`` as ``closed 1008``,
    ``rejected HTTP 403``, ``validated``; ``start_t`` its ``connect_start`` and ``end_t`` its
    ``transport_attempt`` mark (the cassette's clock, in the unit the marks were given in;
    NaN when missing); ``duration_ms`` what the session measured."""

    transport: str
    role: AttemptRole
    outcome: str
    how: str
    detail: str
    server_user_id: str | None
    start_t: float
    end_t: float
    duration_ms: float


def _how(data: Mapping[str, Any]) -> str:
    how = str(data.get("outcome") or "")
    code, status = data.get("close_code"), data.get("status")
    if isinstance(code, int) and not isinstance(code, bool):
        return f"{how} {code}"
    if isinstance(status, int) and not isinstance(status, bool):
        return f"{how} HTTP {status}"
    return how


def _ms(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value) * 1e3 if math.isfinite(value) else math.nan


@dataclass
class _Judged:
    """An attempt as ``events.attempts`` grouped it, with the connection rows it owns and what
    it was to its opening."""

    attempt: Attempt
    rows: list[dict[str, Any]] = field(default_factory=list)
    role: AttemptRole = AttemptRole.PENDING

    @property
    def how(self) -> str:
        return _how(self.attempt.data)

    @property
    def duration_ms(self) -> float:
        return _ms(self.attempt.data.get("duration_s"))

    def view(self) -> AttemptView:
        a = self.attempt
        user = a.data.get("server_user_id")
        return AttemptView(
            a.transport,
            self.role,
            a.outcome or "",
            self.how,
            str(a.data.get("detail") or ""),
            None if user is None else str(user),
            a.start if a.socket else math.nan,
            math.nan if a.end is None else a.end,
            self.duration_ms,
        )


class Openings(OpeningTracker):
    """The openings of one cassette, mark by mark (module docstring), grouped by
    ``events.attempts.OpeningTracker``; this adds each attempt's rows and role.
    ``failed_connect`` emits the failed ``connect`` row an opening needs when its last refused
    attempt wrote none (a ticket request that failed before any ``connect_start``)."""

    def __init__(self, cassette: str, failed_connect: Callable[[], dict[str, Any]]) -> None:
        super().__init__()
        self.cassette = cassette
        self._failed_connect = failed_connect
        # One entry per attempt of ``so_far``, in the same places (the hooks keep them so).
        self._judged: list[list[_Judged]] = []
        self.dropped: set[int] = set()  # id() of the rows that are no connect of their own

    def track(self, row: dict[str, Any]) -> None:
        """A row of a connection phase, owned by the attempt under way (if any)."""
        if self.under_way and self._judged[-1]:
            last = self._judged[-1][-1]
            if last.role is AttemptRole.PENDING:
                last.rows.append(row)

    # -- what the tracker saw -------------------------------------------------------------------

    def _opening_began(self) -> None:
        self._judged.append([])

    def _attempt_began(self, attempt: Attempt) -> None:
        self._judged[-1].append(_Judged(attempt))

    def _attempt_settled(self, attempt: Attempt) -> None:
        judged = self._judged[-1][-1]
        judged.attempt = attempt
        if attempt.connected:
            self._connected(judged)
        else:
            self._refused(judged)

    # -- results --------------------------------------------------------------------------------

    def _all(self) -> list[_Judged]:
        return [a for group in self._settled_groups() for a in group]

    def _settled_groups(self) -> list[list[_Judged]]:
        groups = ([a for a in group if a.attempt.settled] for group in self._judged)
        return [group for group in groups if group]

    def groups(self) -> list[list[AttemptView]]:
        """The settled attempts of each opening so far, in order."""
        return [[a.view() for a in group] for group in self._settled_groups()]

    @property
    def openings(self) -> int:
        """Openings with at least one transport_attempt mark (the others cannot be judged)."""
        return len(self._settled_groups())

    @property
    def openings_in(self) -> int:
        return sum(a.role is AttemptRole.KEPT for a in self._all())

    @property
    def extra_connected(self) -> int:
        return sum(a.role is AttemptRole.EXTRA for a in self._all())

    @property
    def folded(self) -> int:
        return sum(a.role is AttemptRole.FOLDED for a in self._all())

    @property
    def fallbacks(self) -> list[Fallback]:
        return [
            Fallback(self.cassette, a.attempt.transport, a.how, a.duration_ms)
            for a in self._all()
            if a.role is AttemptRole.FALLBACK
        ]

    # -- roles ----------------------------------------------------------------------------------

    def _drop(self, judged: _Judged, role: AttemptRole) -> None:
        judged.role = role
        self.dropped.update(id(row) for row in judged.rows)

    def _kept(self) -> _Judged | None:
        return next((a for a in self._judged[-1] if a.role is AttemptRole.KEPT), None)

    def _connected(self, judged: _Judged) -> None:
        kept = self._kept()
        if not keeps_over(None if kept is None else kept.attempt, judged.attempt):
            # Auto kept an earlier socket and closed this one: the same user's, no connect.
            self._drop(judged, AttemptRole.EXTRA)
            return
        if kept is not None:
            # A validated socket after one that only connected: auto keeps the validated one.
            self._drop(kept, AttemptRole.EXTRA)
        judged.role = AttemptRole.KEPT
        for earlier in self._judged[-1]:
            if earlier.role in (AttemptRole.REFUSED, AttemptRole.FOLDED):
                self._drop(earlier, AttemptRole.FALLBACK)

    def _refused(self, judged: _Judged) -> None:
        # Refused is not upgraded, whatever the HTTP status was before the close.
        for row in judged.rows:
            if row["phase"] == "connect" and row["ok"]:
                row["ok"], row["value_ms"] = False, math.nan
        current = self._judged[-1]
        standing = next((a for a in current if a.role is AttemptRole.REFUSED), None)
        if self._kept() is not None:
            self._drop(judged, AttemptRole.FALLBACK)
            return
        if not judged.rows and standing is not None:
            # No connect of its own (its ticket request failed): the refusal that reached the
            # service keeps standing for the opening, with its auth rows.
            judged.role = AttemptRole.FOLDED
            return
        if not any(row["phase"] == "connect" for row in judged.rows):
            row = self._failed_connect()
            if not any(r is row for r in judged.rows):
                judged.rows.append(row)
        # Until another transport gets in, the latest refusal stands for the opening's failure.
        if standing is not None:
            self._drop(standing, AttemptRole.FOLDED)
        judged.role = AttemptRole.REFUSED


@dataclass(frozen=True, slots=True)
class OpeningsSummary:
    """What the connection figures rest on: ``openings`` judged by their ``transport_attempt``
    marks (one per session connect and reconnect), how many got in, the refused attempts left
    out as auto fallbacks, refused attempts ``folded`` into an opening that failed on every
    transport, and connected sockets auto closed again (``extra_connected``)."""

    openings: int = 0
    openings_in: int = 0
    fallbacks: tuple[Fallback, ...] = ()
    folded: int = 0
    extra_connected: int = 0

    @property
    def by_how(self) -> dict[str, int]:
        return dict(sorted(Counter(f.label for f in self.fallbacks).items()))

    @property
    def fallback_ms(self) -> float:
        return sum(f.duration_ms for f in self.fallbacks if math.isfinite(f.duration_ms))

    @property
    def matters(self) -> bool:
        """Whether attempts were left out of the connection figures."""
        return bool(self.fallbacks or self.folded or self.extra_connected)

    def text(self) -> str:
        """What the connection figures count, when attempts were left out ("" otherwise)."""
        if not self.matters:
            return ""
        parts = []
        if self.fallbacks:
            how = ", ".join(f"{k} ×{v}" for k, v in self.by_how.items())
            parts.append(
                f"auto fallback: {plural(len(self.fallbacks), 'refused attempt')} besides the "
                f"transport kept ({how}; {self.fallback_ms:.1f} ms spent on them) are not "
                "counted as connects"
            )
        failed = self.openings - self.openings_in
        if self.folded and failed:
            counts = "counts as one failed connect" if failed == 1 else "count as one each"
            parts.append(
                f"{plural(failed, 'session opening')} refused on every transport tried {counts} "
                f"({plural(self.folded, 'more refused attempt')} folded in)"
            )
        if self.extra_connected:
            parts.append(
                f"{plural(self.extra_connected, 'socket')} auto connected and closed again for "
                "the one kept are not counted"
            )
        parts.append(
            f"connect, auth and time_to_established count {plural(self.openings, 'connect')} "
            f"(one per session opening or reconnect), {self.openings_in} of which got in"
        )
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "openings": self.openings,
            "openings_in": self.openings_in,
            "fallbacks": len(self.fallbacks),
            "fallback_ms": round(self.fallback_ms, 3),
            "refused": self.by_how,
            "folded": self.folded,
            "extra_connected": self.extra_connected,
        }


def summarize_openings(frames_df: pd.DataFrame) -> OpeningsSummary:
    """Openings and auto fallbacks of the cassettes in a ``frames`` table
    (``netra_diag.recording.load_frames``): its marks, in line order, per cassette."""
    has = set(frames_df.columns)
    if frames_df.empty or not {"cassette", "kind", "mark"} <= has:
        return OpeningsSummary()
    marks = frames_df[frames_df["kind"] == "mark"]
    order = "seq" if "seq" in has else "t_ms"
    trackers: list[Openings] = []
    for cassette, part in marks.groupby("cassette", sort=False, dropna=False):
        tracker = Openings(str(cassette), lambda: {"phase": "connect", "ok": False})
        part = part.sort_values(order, kind="stable")
        datas = part["data"] if "data" in has else [None] * len(part)
        for name, data in zip(part["mark"], datas, strict=True):
            feed(tracker, str(name), as_data(data))
        trackers.append(tracker)
    return OpeningsSummary(
        openings=sum(t.openings for t in trackers),
        openings_in=sum(t.openings_in for t in trackers),
        fallbacks=tuple(f for t in trackers for f in t.fallbacks),
        folded=sum(t.folded for t in trackers),
        extra_connected=sum(t.extra_connected for t in trackers),
    )


def feed(tracker: Openings, name: str, data: Mapping[str, Any], t: float = math.nan) -> None:
    """Give ``tracker`` the mark ``name`` at ``t`` (``OpeningTracker.feed`` says which marks
    matter)."""
    tracker.feed(name, t, data)


def opening_attempts(
    marks: Iterable[tuple[str, float, Mapping[str, Any]]],
) -> list[tuple[AttemptView, ...]]:
    """The transport attempts of each opening of one cassette, from its marks as
    ``(name, t, data)`` in line order; openings without ``transport_attempt`` marks are left
    out (nothing says what their attempts were)."""
    tracker = Openings("", lambda: {"phase": "connect", "ok": False})
    for name, t, data in marks:
        feed(tracker, name, data, t)
    return [tuple(group) for group in tracker.groups()]
