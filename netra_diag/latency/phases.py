"""The phases of a session and the walk that measures them, one cassette at a time: the names
(``Phase``, the liveness frame types) are in ``latency.phase_names``, the walk (``PhaseScanner``,
fed one cassette's lines in order, one row per measurement; the upgrade time it settles on) in
``latency.phase_scanner``, the readers of a frames table's cells in ``latency.cell_values``, and
what an event latency proves about the clocks in ``latency.clock_skew``. ``phase_metrics`` in
``netra_diag.latency.metrics`` drives the walk; what each phase measures is listed there.

Every name is importable from here as well.
"""

from __future__ import annotations

from netra_diag.latency.cell_values import as_data, as_number, as_text
from netra_diag.latency.clock_skew import clock_violation_ms
from netra_diag.latency.phase_names import LIVENESS, PING_TYPES, PONG_TYPES, Phase
from netra_diag.latency.phase_scanner import EventInfo, PhaseScanner

__all__ = [
    "LIVENESS",
    "PING_TYPES",
    "PONG_TYPES",
    "EventInfo",
    "Phase",
    "PhaseScanner",
    "as_data",
    "as_number",
    "as_text",
    "clock_violation_ms",
]
