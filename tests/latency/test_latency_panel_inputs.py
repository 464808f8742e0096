"""The latency panel on what a notebook user may hand it: no measurements at all, a table built
by hand without cassette or source columns, a table that is not metrics."""

from __future__ import annotations

import pandas as pd
import pytest

from netra_diag.errors import LatencyDataError
from netra_diag.latency import load_sla
from netra_diag.latency.metrics import phase_metrics
from netra_diag.widgets import LatencyPanel


def test_no_measurements_is_not_called_no_selection() -> None:
    empty = phase_metrics(pd.DataFrame({"cassette": [], "t_ms": []}))
    panel = LatencyPanel(empty, sla=load_sla("service"))
    assert "no measurements" in panel.notice.value
    assert "no recording selected" not in panel.notice.value
    assert "NOT VERIFIED" in panel.sla_html.value  # every check "no data", never a pass


def test_a_hand_built_table() -> None:
    rows = pd.DataFrame({"phase": ["connect"] * 12, "value_ms": [10.0 + i for i in range(12)]})
    panel = LatencyPanel(rows)
    assert panel.figure is not None and "could not be drawn" not in panel.notice.value
    assert ">12<" in panel.summary_html.value.replace(" ", "")


def test_not_metrics_is_refused_plainly() -> None:
    with pytest.raises(LatencyDataError, match=r"metrics need column\(s\) \['value_ms'\]"):
        LatencyPanel(pd.DataFrame({"phase": ["connect"], "ms": [1.0]}))
