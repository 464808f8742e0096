"""What the live session panel shows of its session: each frame as it arrives (the event table,
the timeline and its marks), the handshake and auth verdict, the close, failures and notices, and
the static HTML a report keeps when no widget frontend is attached.

``LiveSessionPanel`` (:mod:`netra_diag.widgets.session`) inherits this; the panel itself connects,
runs and stops, and calls these to say what happened.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from netra_diag.widgets.base import escape, figure_html, in_kernel
from netra_diag.widgets.session_view import close_html, event_table, handshake_html

__all__ = ["SessionPanelDisplay"]


class SessionPanelDisplay:
    """The display half of ``LiveSessionPanel``: its widgets are made by the panel."""

    # Set by LiveSessionPanel.__init__ (the widgets) and by its actions (session, events, error).
    session: Any
    error: BaseException | None
    events: list[tuple[str, Any]]
    tasks: set[asyncio.Task[Any]]
    timeline: Any
    figure: Any
    token_controls: Any
    state: Any
    event_count: Any
    auth: Any
    outcome: Any
    handshake_html: Any
    close_html: Any
    recording: Any
    error_html: Any
    event_table: Any
    _static_plot: Any
    _marks_seen: int
    _notice_shown: str
    # Panel's (declared, not defined: a definition here would hide Panel's in the panel's MRO).
    refresh_display: Callable[[], None]

    def _notice(self, text: str) -> None:
        """A message about the panel's use (not a failure of the session); Stop clears it."""
        self.error_html.value = f'<p style="color:#b00">{escape(text)}</p>'
        self._notice_shown = self.error_html.value

    def _refresh_static(self) -> None:
        """Refresh the static view after a run or stop called from a cell (a report shows the
        final state), not after one a button started: re-sending the display re-renders the
        whole panel in JupyterLab, under the engineer's pointer (focus lost, a dropdown change
        made meanwhile lost)."""
        if asyncio.current_task() not in self.tasks:
            self.refresh_display()

    @property
    def error_text(self) -> str:
        """Why the last connect or task failed, as plain text ("" if nothing failed)."""
        from netra_diag.redaction import scrub

        return "" if self.error is None else scrub(str(self.error))

    def describe(self) -> str:
        """One plain-text line: state, then the failure, or the auth verdict and outcome."""
        parts = [f"state: {self.state.value}"]
        if self.error is not None:
            parts.append(self.error_text)
        parts += [f"auth: {self.auth.value}"] if self.auth.value else []
        parts += [self.outcome.value] if self.outcome.value else []
        return "; ".join(parts)

    def _fail(self, exc: BaseException, text: str | None = None) -> None:
        self.error = exc
        self.error_html.value = f'<p style="color:#b00">{escape(text or str(exc))}</p>'

    def _on_frame(self, direction: str, te: Any) -> None:
        # Called by the session's reader for every frame; never let a display problem hurt it.
        try:
            self.events.append((direction, te))
            self.event_count.value = len(self.events)
            if direction == "in":
                self._sync_marks()
                self.timeline.add(te)
            self._render_table()
        except Exception as exc:  # shown in the panel; the session goes on
            self.error_html.value = f"<p>display error: {escape(exc)}</p>"

    def _sync_marks(self) -> None:
        from netra_diag.events.timeline import Mark

        if self.session is None:
            return
        marks = self.session.marks
        for mark in marks[self._marks_seen :]:
            self.timeline.add_mark(Mark(mark.name, mark.t, dict(mark.data), mark.wall))
        self._marks_seen = len(marks)

    def _render_table(self) -> None:
        self.event_table.value = event_table(self.events)

    def _redraw_static(self) -> None:
        if isinstance(self.figure, widgets.DOMWidget) or not in_kernel():
            return
        from IPython.display import display

        self._static_plot.clear_output(wait=True)
        with self._static_plot:
            display(self.figure)

    def _show_handshake(self) -> None:
        self.auth.value = str(self.session.auth)
        self.handshake_html.value = handshake_html(self.session)

    def _show_recording(self, path: Any) -> None:
        # Paths are long and unbroken: let them wrap inside the panel rather than widen it.
        where = f"recording: {path}" if path is not None else ""
        style = "margin:0;overflow-wrap:anywhere"
        self.recording.value = f'<p style="{style}">{escape(where)}</p>' if where else ""

    def _show_close(self, fallback: str = "") -> None:
        shown = close_html(self.session, fallback)
        if shown:  # nothing to say keeps what was said
            self.close_html.value = shown

    def static_html(self) -> str:
        # Which profile and secret signed: a report must say it (as a fingerprint, never more).
        token = f"<p>{escape(self.token_controls.describe())}</p>"
        if not self.events:
            frames = "" if self.error is not None else "; no frames yet"
            shown: str = self.handshake_html.value + self.recording.value + self.close_html.value
            return f"<p>{escape(self.describe())}{frames}</p>" + token + shown
        parts: list[str] = [
            f"<p>{escape(self.describe())}</p>",
            token,
            self.handshake_html.value,
            self.recording.value,
            figure_html(self.figure),
            self.event_table.value,
            self.close_html.value,
        ]
        return "".join(parts)
