"""Recordings that end before their session did: a probe killed, a CI job cancelled, a disk
full. Their last run or connect has no end, and the SLA counts it as unfinished; said as the
recording's doing, so that a reader of "all run_total attempts failed or never finished" does
not blame the service for a writer that stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netra_diag.latency.units import Dimension, format_quantity

__all__ = ["RecordingGap", "recording_gaps"]

# A connect is over once one of these marks follows it; a run once run_end does.
_CONNECT_ENDS = frozenset({"upgrade_done", "transport_attempt", "close", "error"})
_SESSION_ENDS = frozenset({"close", "error"})


@dataclass(frozen=True)
class RecordingGap:
    """One cassette that stops short: ``records`` is how many records it holds after its header
    (0: nothing was recorded), ``last`` what its last record was and ``last_ms`` when."""

    cassette: str
    records: int
    last: str = ""
    last_ms: float = 0.0

    def text(self, line: int | None = None) -> str:
        if not self.records:
            return (
                f"{self.cassette}: holds only its header, no record of a session (the recording "
                "stopped before the connection was made?): it adds nothing to the checks"
            )
        where = f"at line {line}" if line else f"after {self.records} records"
        when = format_quantity(self.last_ms, Dimension.TIME)
        return (
            f"{self.cassette}: the recording stops mid-session {where} (its last record: "
            f"{self.last} at {when}; no close recorded): what it holds up to there is checked, "
            "and the run or connect it cuts off counts as never finished, which may be the "
            "recording's end rather than the service's"
        )


def recording_gaps(cassettes: Sequence[str], frames: Any) -> list[RecordingGap]:
    """The ``cassettes`` (as named in ``frames["cassette"]``, a ``load_frames`` table) that hold
    nothing after their header, or whose last connection has no close or error recorded while
    a connect or a run in it has not ended."""
    spans: dict[str, tuple[int, int]] = {}
    if not frames.empty:
        # One sort for every cassette (a groupby and a sort each cost a third of phase_metrics
        # on 300 cassettes).
        codes, names = pd.factorize(frames["cassette"], use_na_sentinel=False)
        order = np.lexsort((frames["seq"].to_numpy(), codes))
        sorted_codes = codes[order]
        bounds = np.flatnonzero(np.diff(sorted_codes)) + 1
        for start, end in zip([0, *bounds.tolist()], [*bounds.tolist(), order.size], strict=True):
            spans[str(names[sorted_codes[start]])] = (start, end)
        marks_all = frames["mark"].to_numpy(dtype=object)[order]
    gaps = []
    for cassette in cassettes:
        span = spans.get(str(cassette))
        if span is None:
            gaps.append(RecordingGap(str(cassette), 0))
            continue
        marks = [m if isinstance(m, str) else "" for m in marks_all[span[0] : span[1]]]
        if "connect_start" not in marks:
            continue
        last_connect = len(marks) - 1 - marks[::-1].index("connect_start")
        if _SESSION_ENDS.intersection(marks[last_connect:]) or not _cuts_off_something(marks):
            continue
        last = frames.iloc[int(order[span[1] - 1])]
        gaps.append(RecordingGap(str(cassette), len(marks), _describe(last), _ms(last)))
    return gaps


def _cuts_off_something(marks: list[str]) -> bool:
    """Whether the last connect or the last run has no end recorded: only then does the cut
    change a figure (a session whose runs all ended is merely not closed in the recording)."""
    for start, ends in (("connect_start", _CONNECT_ENDS), ("run_start", {"run_end"})):
        if start in marks:
            last = len(marks) - 1 - marks[::-1].index(start)
            if not ends.intersection(marks[last:]):
                return True
    return False


def _describe(row: Any) -> str:
    if row["kind"] == "mark":
        return f"mark {row['mark']}"
    kind = row["type"] if isinstance(row["type"], str) else "a frame"
    return f"{kind} {'sent' if row['dir'] == 'out' else 'received'}"


def _ms(row: Any) -> float:
    value = row["t_ms"]
    return float(value) if value == value else 0.0
