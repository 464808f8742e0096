"""The *connect* span of each attempt to open the socket, labelled with how the attempt ended.

An upgrade answered with HTTP 101 is not yet a connection: with ``--transport auto`` a refused
transport gets its 101 too, then an ``AUTH_FAILED`` frame and a close 1008, and what the attempt
came to is written only after that close, in its ``transport_attempt`` mark
(:mod:`netra_diag.events.attempts`). So the span of an upgrade is held until something says how
its attempt ended: the welcome frame (``connection_established``: it connected), that mark (its
outcome: refused or connected), or, in cassettes without those marks, the next ``connect_start``
or the end of the stream (the upgrade is then all there is to say). A refused attempt that got no
upgrade at all (HTTP 403, no answer) is drawn from its ``connect_start`` to its mark, so every
attempt a session made shows on its timeline.

The reader stamps each frame when it arrives, the ``upgrade_done`` mark is written when the
client's ``connect()`` returns; the service sends its welcome right after the 101, so the welcome
is often stamped *before* that mark (PROTOCOL.md §3). As in ``latency.phase_scanner``, an
attempt's upgrade is therefore the earliest of its ``upgrade_done`` mark and its first incoming
frame, and a welcome that comes before the mark is held until the mark (or the attempt's end):
either order gives one connect span, ``connect (HTTP 101)`` up to the upgrade, then *auth* up to
the welcome (0 ms when the welcome came first).

A refused attempt's span is labelled ``connect (refused): TRANSPORT HOW``, and the charts and the
trace export name it :data:`REFUSED_CONNECT` (:func:`is_refused_connect`). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from netra_diag.events.attempts import REFUSED_OUTCOMES
from netra_diag.events.spans import Span, SpanKind

__all__ = ["REFUSED_CONNECT", "ConnectSpans", "is_refused_connect"]

REFUSED_CONNECT = "connect (refused)"
# The server's reason quoted in a refused span's detail (live.opening keeps 300 characters).
_DETAIL_CHARS = 300


def is_refused_connect(span: Span) -> bool:
    """Whether ``span`` is the connect span of an attempt its ``transport_attempt`` mark says
    was refused (the charts' legend and the trace's slice name say so)."""
    return span.kind is SpanKind.CONNECT and span.label.startswith(REFUSED_CONNECT)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _refusal(data: Mapping[str, Any]) -> str:
    """``TRANSPORT OUTCOME [CODE | HTTP STATUS]`` of a refused attempt's mark, e.g.
    ``header closed 1008`` or ``query rejected HTTP 403``."""
    how = [str(data.get("transport") or "?"), str(data.get("outcome"))]
    code, status = _int(data.get("close_code")), _int(data.get("status"))
    if code is not None:
        how.append(str(code))
    elif status is not None:
        how.append(f"HTTP {status}")
    return " ".join(how)


@dataclass(frozen=True)
class _Welcome:
    """The latest attempt's ``connection_established`` (frame ``indices``); ``first``: the
    session's first; ``drawn``: its *connect/auth* span was drawn at once (no ``connect_start``,
    so no attempt whose ``upgrade_done`` could still come)."""

    t: float
    indices: tuple[int, ...]
    first: bool
    drawn: bool


class ConnectSpans:
    """Connect spans from the lifecycle marks and incoming frames of a session, fed in time or
    arrival order; each method returns the spans it closed."""

    def __init__(self) -> None:
        self._start: float | None = None  # the latest attempt's connect_start
        self._upgraded_at: float | None = None  # the latest attempt's upgrade (auth starts there)
        self._first_in: float | None = None  # the latest attempt's first incoming frame
        self._welcome: _Welcome | None = None  # the latest attempt's welcome
        self._held: Span | None = None  # the latest attempt's span, until its end is known
        self._status: int | None = None  # the HTTP status of that upgrade
        self._drawn = True  # the latest attempt has its span (held or released)

    @property
    def held(self) -> Span | None:
        """The upgrade whose attempt has not said how it ended yet: what the stream ends on, when
        it ends now."""
        return self._held

    def started(self, t: float) -> list[Span]:
        """A ``connect_start``: a new attempt; the previous upgrade is all its attempt left."""
        closed = self._release()
        self._start, self._drawn = t, False
        # Each attempt's auth starts at its own upgrade, never at a refused attempt's before it.
        self._upgraded_at = self._first_in = self._welcome = None
        return closed

    def received(self, t: float) -> None:
        """An incoming frame at ``t``: the latest attempt was upgraded by then at the latest."""
        if self._first_in is None and (self._start is None or t >= self._start):
            self._first_in = t

    def upgraded(self, t: float, data: Mapping[str, Any]) -> list[Span]:
        """An ``upgrade_done`` (``data``: its ``status``)."""
        status = data.get("status")
        label = "connect" + (f" (HTTP {status})" if status is not None else "")
        at = t if self._first_in is None else min(t, self._first_in)
        welcome = self._welcome
        if welcome is not None:
            # Its welcome came first: the attempt connected, so its span is known now.
            if self._upgraded_at is not None or welcome.drawn:
                return []  # (a second mark for the attempt, or a stream without connect_start)
            at = min(at, welcome.t)
            self._upgraded_at, self._held, self._drawn = at, None, True
            start = self._start if self._start is not None else 0.0
            closed = [Span(SpanKind.CONNECT, start, at, None, label)]
            if welcome.first:
                closed.append(Span(SpanKind.AUTH, at, welcome.t, None, "auth", welcome.indices))
            return closed
        closed = self._release()
        self._upgraded_at = at
        start = self._start if self._start is not None else 0.0
        self._held = Span(SpanKind.CONNECT, start, at, None, label)
        self._status, self._drawn = _int(status), True
        return closed

    def established(self, t: float, indices: tuple[int, ...], *, first: bool) -> list[Span]:
        """A ``connection_established`` (frame ``indices``): the latest upgrade connected; the
        ``first`` of a session also closes its *auth* span (from the upgrade), or a
        *connect/auth* one when no upgrade was recorded."""
        if self._welcome is not None:
            return []  # the attempt's welcome again (its mark after its frame)
        if self._upgraded_at is None and self._start is not None:
            # Its upgrade_done may still come (module docstring): until then, or until the
            # attempt ends without one, the span is connect/auth.
            self._welcome = _Welcome(t, indices, first, drawn=False)
            if first:
                self._held = Span(SpanKind.CONNECT, self._start, t, None, "connect/auth", indices)
            self._drawn = True
            return []
        self._welcome = _Welcome(t, indices, first, drawn=self._upgraded_at is None and first)
        held = self._held
        if held is not None and held.end > t:
            # Fed in arrival order, a welcome stamped before the mark that came in first.
            self._held = replace(held, end=t)
            self._upgraded_at = t
        closed = self._release()
        if first and self._upgraded_at is not None:
            upgrade = min(self._upgraded_at, t)
            closed.append(Span(SpanKind.AUTH, upgrade, t, None, "auth", indices))
        elif first:
            start = self._start if self._start is not None else 0.0
            closed.append(Span(SpanKind.CONNECT, start, t, None, "connect/auth", indices))
        return closed

    def ended(self, t: float, data: Mapping[str, Any]) -> list[Span]:
        """A ``transport_attempt`` mark (``data``: its ``outcome``, ``transport``, ``close_code``,
        ``status``, ``detail``): the latest attempt's span, labelled refused when it was."""
        if data.get("outcome") not in REFUSED_OUTCOMES or self._welcome is not None:
            return self._release()  # (a welcomed attempt connected, whatever the mark says)
        label = f"{REFUSED_CONNECT}: {_refusal(data)}"
        detail = " ".join(str(data.get("detail") or "").split())[:_DETAIL_CHARS]
        if self._held is not None:
            after = f", after HTTP {self._status}" if self._status is not None else ""
            self._held = replace(self._held, label=label + after, detail=detail)
            return self._release()
        if self._drawn or self._start is None:
            return []  # (a mark without its connect_start, or a second one for an attempt)
        self._drawn = True
        return [Span(SpanKind.CONNECT, self._start, t, None, label, detail=detail)]

    def _release(self) -> list[Span]:
        held, self._held = self._held, None
        return [held] if held is not None else []
