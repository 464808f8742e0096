"""What one event's latency proves about the two clocks it was measured with.

An event latency is the client's wall clock at receipt minus the server's timestamp on the
event: two clocks, which a replay or a drifting host can put minutes or days apart. Causality
bounds it (``clock_violation_ms``), so a value outside the bounds proves the clocks disagree by
at least that much. ``PhaseScanner`` keeps the largest such proof per cassette in the
``clock_skew_ms`` column; SLA checks and comparisons leave out the rows of cassettes whose
clocks disagree past their tolerance (``latency.evaluate``, ``latency.compare``).
"""

from __future__ import annotations

__all__ = ["clock_violation_ms"]


def clock_violation_ms(latency_ms: float, elapsed_ms: float) -> float:
    """How far an event latency (client receipt wall clock minus the event's server timestamp)
    lies outside what causality allows: the server created the event after it got the request
    that started the run (``elapsed_ms`` before the receipt, on the client's monotonic clock)
    and before the client received it. So ``0 <= latency <= elapsed``; a value outside proves
    that the two clocks disagree by at least the returned amount (0 when it fits). A replay,
    for one, serves the recorded server timestamps, minutes or days old."""
    if latency_ms < 0:
        return -latency_ms
    if latency_ms > elapsed_ms:
        return latency_ms - elapsed_ms
    return 0.0
