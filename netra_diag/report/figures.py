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
    "SCATTERGL_AS_SVG_BELOW",
    "figure_placeholder",
    "figure_spec",
    "plain_scatter",
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


# Below this many points a scattergl trace draws the same as a scatter (SVG) one; WebGL only pays
# off for large point clouds, and it is missing from the small bundle and from GPU-less viewers.
SCATTERGL_AS_SVG_BELOW = 20_000
_ITEM_SIZES = {"1": 1, "2": 2, "4": 4, "8": 8}


def _points(values: Any) -> int:
    if isinstance(values, list | tuple):
        return len(values)
    if isinstance(values, dict) and isinstance(values.get("bdata"), str):
        itemsize = _ITEM_SIZES.get(str(values.get("dtype", "f8"))[-1:], 8)
        return len(values["bdata"]) * 3 // 4 // itemsize
    return 0


def plain_scatter(spec: Any) -> Any:
    """``spec`` with small ``scattergl`` traces drawn as ``scatter`` (same picture, SVG)."""
    data = spec.get("data") if isinstance(spec, dict) else None
    if not isinstance(data, list):
        return spec
    traces = []
    for trace in data:
        if (
            isinstance(trace, dict)
            and trace.get("type") == "scattergl"
            and _points(trace.get("x")) < SCATTERGL_AS_SVG_BELOW
        ):
            trace = {**trace, "type": "scatter"}
        traces.append(trace)
    return {**spec, "data": traces}


def _script_json(value: Any) -> str:
    # Inside <script> only "</" can end the element early; "<!--" could open a comment state.
    text = json.dumps(value, separators=(",", ":"), allow_nan=False, default=str)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def figure_placeholder(spec: Mapping[str, Any], *, height: int | None = None) -> str:
    """A ``div`` the report page's loader draws the figure into, with the figure JSON beside it.

    ``spec`` is a figure dict (see :func:`figure_spec`). Without the loader (e.g. a notebook
    viewer that drops scripts) the block shows the figure's title as text. Small ``scattergl``
    traces become ``scatter`` (:func:`plain_scatter`).
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
    spec = plain_scatter(spec)
    types = ",".join(sorted(trace_types(spec)))
    clean = {"data": spec.get("data", []), "layout": layout}
    return (
        f'<div class="{FIGURE_CLASS}" data-traces="{html.escape(types)}">'
        f'<div class="netra-plotly" style="min-height:{height or 450}px">'
        f"{html.escape(title or 'figure')} (needs the report's plotly.js)</div>"
        f'<script type="application/json" class="netra-plotly-spec">{_script_json(clean)}</script>'
        "</div>"
    )
