"""Static HTML for plotly figures and tables, drawn by the report's single copy of plotly.js.

Notebooks display figures with plotly's ``plotly_mimetype`` renderer (JupyterLab draws them
natively and the executed notebook stays small). The HTML export turns each figure into the
placeholder below, and widget panels use the same placeholder in their static fallback, so one
loader in the report page draws every figure with one embedded plotly.js.

This module imports nbconvert never and plotly only to encode a figure object.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "FIGURE_CLASS",
    "PLOTLY_MIME",
    "figure_placeholder",
    "figure_spec",
    "trace_types",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
FIGURE_CLASS = "netra-figure"


def figure_spec(figure: Any) -> dict[str, Any]:
    """``{"data", "layout"}`` of a ``go.Figure``, a ``FigureWidget`` or a figure dict."""
    if isinstance(figure, Mapping):
        spec = dict(figure)
    else:
        # plotly's encoder turns numpy arrays into typed-array dicts ({"dtype", "bdata"}), which
        # plotly.js >= 3 reads natively and which are much smaller than lists of numbers.
        import plotly.io as pio

        try:
            spec = json.loads(pio.to_json(figure, validate=False))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"not a plotly figure: {type(figure).__name__}") from exc
    return {"data": spec.get("data", []), "layout": spec.get("layout", {})}


def trace_types(spec: Mapping[str, Any]) -> set[str]:
    """Trace types a figure dict uses (``scatter`` when a trace does not say)."""
    data = spec.get("data") or []
    if not isinstance(data, Sequence):
        return set()
    return {str(t.get("type") or "scatter") for t in data if isinstance(t, Mapping)}


def _script_json(value: Any) -> str:
    # Inside <script> only "</" can end the element early; "<!--" could open a comment state.
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def figure_placeholder(spec: Mapping[str, Any], *, height: int | None = None) -> str:
    """A ``div`` the report page's loader draws the figure into, with the figure JSON beside it.

    ``spec`` is a figure dict (see :func:`figure_spec`). Without the loader (e.g. a notebook
    viewer that drops scripts) the block shows the figure's title as text.
    """
    layout = spec.get("layout") or {}
    title = ""
    if isinstance(layout, Mapping):
        raw_title = layout.get("title")
        if isinstance(raw_title, Mapping):
            title = str(raw_title.get("text") or "")
        elif raw_title:
            title = str(raw_title)
        if height is None and isinstance(layout.get("height"), int | float):
            height = int(layout["height"])
    types = ",".join(sorted(trace_types(spec)))
    clean = {"data": spec.get("data", []), "layout": layout}
    return (
        f'<div class="{FIGURE_CLASS}" data-traces="{html.escape(types)}">'
        f'<div class="netra-plotly" style="min-height:{height or 450}px">'
        f"{html.escape(title or 'figure')} (needs the report's plotly.js)</div>"
        f'<script type="application/json" class="netra-plotly-spec">{_script_json(clean)}</script>'
        "</div>"
    )
