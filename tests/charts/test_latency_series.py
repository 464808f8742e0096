"""Series of latency figures grouped by something other than the phase (tool, user): each
series is one quantity measured one way, never client and server timings (or phases) pooled."""

from __future__ import annotations

import pandas as pd

from netra_diag.charts.latency import box_figure, ecdf_figure


def _tool_rows() -> pd.DataFrame:
    # Two tool calls, each timed by the client and reported by the server: 2 calls, 4 rows.
    return pd.DataFrame(
        {
            "phase": ["tool_duration"] * 4 + ["connect", "connect"],
            "source": ["client", "server", "client", "server", "client", "client"],
            "tool": ["cost_analyzer"] * 4 + [None, None],
            "user": ["u1", "u1", "u2", "u2", "u1", "u2"],
            "value_ms": [120.0, 100.0, 140.0, 110.0, 12.0, 14.0],
            "ok": True,
        }
    )


def test_box_by_tool_keeps_client_and_server_apart() -> None:
    fig = box_figure(_tool_rows(), by="tool", phase="tool_duration")
    assert list(fig.data[0].x) == ["cost_analyzer (client) (n=2)", "cost_analyzer (server) (n=2)"]
    assert list(fig.data[0].median) == [130.0, 105.0]


def test_by_user_without_a_phase_keeps_phases_apart() -> None:
    fig = ecdf_figure(_tool_rows(), by="user")
    names = sorted(t.name for t in fig.data)
    assert "u1 · connect (n=1)" in names
    assert "u1 · tool_duration (client) (n=1)" in names
    assert not any(name.startswith("u1 (n=") for name in names)
