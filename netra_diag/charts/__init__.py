"""Figures (plotly): data in, ``go.Figure`` out, never ``.show()``.

Each module is imported on its own (``netra_diag.charts.latency``, ``netra_diag.charts.timeline``)
so that importing this package does not load plotly.
"""

__all__: list[str] = []
