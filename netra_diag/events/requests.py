"""The requests a timeline's runs wait on: sent, not yet answered by a run, oldest first.

Concurrent runs on one socket each take the earliest pending request (the service answers in
order), so each waits from its own. A request the client gave up on with nothing of its own
received (a ``run_end`` mark: timeout, close) is taken out with the span of its wait, so that the
next run does not wait from it. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netra_diag.events.spans import Mark, Span, SpanKind

__all__ = ["NO_ANSWER", "PendingRequests"]

NO_ANSWER = "waiting for the first event: none came"
# A cassette holds a request twice, as its outgoing frame and its message_sent mark, at one time.
_SAME_REQUEST_S = 1e-3


@dataclass
class PendingRequests:
    """Client times of the requests no run has answered yet."""

    pending: list[float] = field(default_factory=list)
    last_sent: float | None = None

    def sent(self, t: float) -> None:
        if self.last_sent is not None and abs(t - self.last_sent) <= _SAME_REQUEST_S:
            return
        self.last_sent = t
        self.pending.append(t)

    def take(self, t: float) -> float | None:
        """The request a run whose first event came at ``t`` answers, if any."""
        if self.pending and self.pending[0] <= t:
            return self.pending.pop(0)
        return None

    def abandoned(self, mark: Mark) -> Span | None:
        """The wait of the request a ``run_end`` mark gave up on with no event of its own."""
        data = mark.data
        outcome, n_events, n_foreign = (
            data.get("outcome"),
            data.get("n_events"),
            data.get("n_foreign"),
        )
        if outcome in (None, "completed", "agent_error") or not isinstance(n_events, int):
            return None
        if n_events - (n_foreign if isinstance(n_foreign, int) else 0) > 0:
            return None
        asked = [t for t in self.pending if t <= mark.t]
        if not asked:
            return None
        self.pending.remove(asked[-1])
        label = f"{NO_ANSWER} before the client gave up (run {outcome})"
        return Span(SpanKind.WAITING, asked[-1], mark.t, None, label, unfinished=True)
