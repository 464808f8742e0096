"""A recording's timeline in one line, for the failing tests triage shows: what came in what order
and when (``connection_established +2 ms, sent user_message +3 ms, agent_started +4 ms, …``).

Counts by type say what arrived; the order and the times say where the session stopped, and how
long it waited before the test gave up. Repeats in a row are folded (``agent_thinking ×40
+5..80 ms``), liveness frames are left out, and a long session keeps its start and its end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Timeline", "at"]

# (as netra_diag.live.records.LIVENESS_TYPES: not imported, triage runs without the live client)
_LIVENESS = frozenset({"pong", "heartbeat", "heartbeat_ack"})
_HEAD, _TAIL = 8, 4  # steps kept at each end of a long timeline


def at(t: float) -> str:
    """``+3 ms``, ``+12.5 s``: a time from the session's start."""
    return f"+{t * 1000:.0f} ms" if t < 10 else f"+{t:.1f} s"


@dataclass
class _Step:
    label: str
    first: float
    last: float
    count: int = 1

    def text(self) -> str:
        if self.count == 1:
            return f"{self.label} {at(self.first)}"
        span = (
            at(self.first) if self.last == self.first else f"{at(self.first)}..{at(self.last)[1:]}"
        )
        return f"{self.label} ×{self.count} {span}"


@dataclass
class Timeline:
    """Steps added in the order the recording holds them; ``text()`` is the line."""

    steps: list[_Step] = field(default_factory=list)

    def add(self, label: str, t: float) -> None:
        if label in _LIVENESS:
            return
        if self.steps and self.steps[-1].label == label:
            last = self.steps[-1]
            last.count += 1
            last.last = t
        else:
            self.steps.append(_Step(label, t, t))

    def received(self, event_type: str, t: float) -> None:
        self.add(event_type, t)

    def sent(self, event_type: str, t: float) -> None:
        self.add(f"sent {event_type}", t)

    def text(self) -> str:
        steps = [s.text() for s in self.steps]
        if len(steps) > _HEAD + _TAIL + 1:
            hidden = sum(s.count for s in self.steps[_HEAD:-_TAIL])
            steps = [*steps[:_HEAD], f"… {hidden} more …", *steps[-_TAIL:]]
        return ", ".join(steps)
