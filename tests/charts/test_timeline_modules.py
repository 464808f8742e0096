"""``netra_diag.charts.timeline`` is built from modules beside it; what it exports stays
importable from it, and is the one object each piece defines (not a copy)."""

from __future__ import annotations

import importlib

from netra_diag.charts import timeline, timeline_bars, timeline_hover, timeline_lanes


def test_every_public_name_is_importable_from_the_timeline_module() -> None:
    module = importlib.import_module("netra_diag.charts.timeline")
    assert set(module.__all__) >= {
        "FRAME_SYMBOLS",
        "LEAKED_RUN",
        "NO_TERMINAL",
        "SEVERITY_STYLE",
        "SPAN_COLORS",
        "diff_figure",
        "frame_hover",
        "raw_hover",
        "run_label",
        "span_hover",
        "span_name",
        "swimlanes_figure",
        "timeline_figure",
    }
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_the_pieces_are_the_ones_their_modules_define() -> None:
    assert timeline.span_name is timeline_bars.span_name
    assert timeline.SPAN_COLORS is timeline_bars.SPAN_COLORS
    assert timeline.run_label is timeline_lanes.run_label
    assert timeline.LEAKED_RUN is timeline_lanes.LEAKED_RUN
    assert timeline.span_hover is timeline_hover.span_hover
