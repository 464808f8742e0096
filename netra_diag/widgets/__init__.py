"""ipywidgets panels that compose library functions (no logic of their own).

- :class:`TokenPanel`: mint with profile, claims and TTL; inspect and verify a pasted token.
- :class:`LiveSessionPanel`: connect / run / stop with a live event table and timeline.
- :class:`LatencyPanel`: pick recordings and phases; histogram/ECDF; summary and SLA tables.
- :class:`TriagePanel`: filter failure clusters; a failing test's traceback, recording, findings.

Every panel is an ``ipywidgets.VBox`` whose display also carries a static HTML view, which is
what a papermill report (no widget frontend) shows.
"""

from __future__ import annotations

from netra_diag.widgets.base import Panel
from netra_diag.widgets.latency import LatencyPanel
from netra_diag.widgets.session import LiveSessionPanel
from netra_diag.widgets.tokens import TokenPanel
from netra_diag.widgets.triage import TriagePanel

__all__ = ["LatencyPanel", "LiveSessionPanel", "Panel", "TokenPanel", "TriagePanel"]
