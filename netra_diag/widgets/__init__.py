"""ipywidgets panels that compose library functions (no logic of their own)."""

from __future__ import annotations

from netra_diag.widgets.base import Panel
from netra_diag.widgets.tokens import TokenPanel

__all__ = ["Panel", "TokenPanel"]
