"""What the live session panel draws from a session: the event table, the handshake facts, the
close explanation, and the figure the live timeline is drawn on. HTML strings in, nothing kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netra_diag.widgets.base import html_table, pre

__all__ = [
    "EVENT_COLUMNS",
    "TABLE_ROWS",
    "close_html",
    "event_table",
    "handshake_html",
    "new_figure",
]

TABLE_ROWS = 200  # the table shows the newest rows; the panel's ``events`` keeps them all
EVENT_COLUMNS = ("#", "dir", "t (ms)", "type", "run", "detail")


def new_figure() -> Any:
    """A FigureWidget (redraws in place in JupyterLab); a plain Figure where anywidget, which
    plotly's FigureWidget needs, is missing."""
    import plotly.graph_objects as go

    try:
        return go.FigureWidget()
    except ImportError:
        return go.Figure()


def _detail(event: Any) -> str:
    for key in ("tool_name", "reasoning", "thought", "status", "error_code", "error_message"):
        value = event.get(key)
        if value:
            text = str(value)
            return text if len(text) <= 70 else text[:67] + "..."
    return event.problem or ""


def event_table(events: Sequence[tuple[str, Any]]) -> str:
    """The newest ``TABLE_ROWS`` of ``(direction, TimedEvent)``, numbered from the first."""
    start = max(0, len(events) - TABLE_ROWS)
    rows = [
        {
            "#": n,
            "dir": "←" if direction == "in" else "→",
            "t (ms)": f"{te.t * 1000:.1f}",
            "type": te.type or "(invalid)",
            "run": te.event.run_id or "",
            "detail": _detail(te.event),
        }
        for n, (direction, te) in enumerate(events[start:], start=start + 1)
    ]
    return html_table(rows, EVENT_COLUMNS, css_class="netra-event-table")


def handshake_html(session: Any) -> str:
    """The open session's handshake facts; every transport tried, when ``auto`` tried several."""
    hs = session.handshake
    facts = {
        "transport": hs.transport,
        "HTTP status": hs.status,
        "subprotocol": hs.selected_subprotocol or "-",
        "token entry echoed": {True: "yes", False: "NO", None: "n/a"}[hs.echoed_token_entry],
        "server user": hs.server_user_id,
        "mode": hs.mode,
        "upgrade": f"{hs.upgrade_s * 1000:.1f} ms" if hs.upgrade_s is not None else "?",
    }
    rows = [{"handshake": k, "value": v} for k, v in facts.items()]
    attempts = [
        {"transport": a.transport, "outcome": a.outcome, "detail": a.detail} for a in hs.attempts
    ]
    return html_table(rows, ("handshake", "value")) + (
        html_table(attempts, ("transport", "outcome", "detail")) if len(attempts) > 1 else ""
    )


def close_html(session: Any, fallback: str = "") -> str:
    """How the session closed, explained; ``fallback`` when it holds no close (never opened)."""
    info = session.close_info if session is not None else None
    if info is not None:
        return "<b>close</b>" + pre(info.explanation())
    return "<b>close</b>" + pre(fallback) if fallback else ""
