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

A refused attempt's span is labelled ``connect (refused): TRANSPORT HOW``, and the charts and the
trace export name it :data:`REFUSED_CONNECT` (:func:`is_refused_connect`). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
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


class ConnectSpans:
    """Connect spans from the lifecycle marks of a session, fed in time order; each method
    returns the spans it closed."""

    def __init__(self) -> None:
        self._start: float | None = None  # the latest attempt's connect_start
        self._upgraded_at: float | None = None  # the latest upgrade_done (auth starts there)
        self._held: Span | None = None  # the latest upgrade, until its attempt's end is known
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
        return closed

    def upgraded(self, t: float, data: Mapping[str, Any]) -> list[Span]:
        """An ``upgrade_done`` (``data``: its ``status``)."""
        closed = self._release()
        self._upgraded_at = t
        status = data.get("status")
        start = self._start if self._start is not None else 0.0
        label = "connect" + (f" (HTTP {status})" if status is not None else "")
        self._held = Span(SpanKind.CONNECT, start, t, None, label)
        self._status, self._drawn = _int(status), True
        return closed

    def established(self, t: float, indices: tuple[int, ...], *, first: bool) -> list[Span]:
        """A ``connection_established`` (frame ``indices``): the latest upgrade connected; the
        ``first`` of a session also closes its *auth* span (from the upgrade), or a
        *connect/auth* one when no upgrade was recorded."""
        closed = self._release()
        if first and self._upgraded_at is not None:
            closed.append(Span(SpanKind.AUTH, self._upgraded_at, t, None, "auth", indices))
        elif first:
            start = self._start if self._start is not None else 0.0
            closed.append(Span(SpanKind.CONNECT, start, t, None, "connect/auth", indices))
        return closed

    def ended(self, t: float, data: Mapping[str, Any]) -> list[Span]:
        """A ``transport_attempt`` mark (``data``: its ``outcome``, ``transport``, ``close_code``,
        ``status``, ``detail``): the latest attempt's span, labelled refused when it was."""
        if data.get("outcome") not in REFUSED_OUTCOMES:
            return self._release()
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
