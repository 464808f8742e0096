"""Live session panel: connect, run and stop an agent turn while the event table and timeline grow.

Composes ``live.Session`` (with its ``on_frame`` observer), ``charts.live_timeline.LiveTimeline``
on a ``go.FigureWidget``, and the token controls of :mod:`netra_diag.widgets.session_secret`
(profile, the NAME of the secret's variable, production confirmed), which sign each connect's
token. What is drawn is :mod:`netra_diag.widgets.session_view`'s.

It runs on the kernel's own event loop: the buttons start tasks with
``asyncio.get_running_loop().create_task`` and return at once, so the kernel stays free (no
``nest_asyncio``, no thread). From a cell, ``await panel.run()`` does the same work and returns the
``RunRecord``; frames show up in the table and the timeline as they arrive either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from netra_diag.widgets.base import Panel
from netra_diag.widgets.session_display import SessionPanelDisplay
from netra_diag.widgets.session_recording import modified_ns, recording_for
from netra_diag.widgets.session_secret import SessionSecretControls
from netra_diag.widgets.session_view import event_table, new_figure

__all__ = ["TRANSPORTS", "LiveSessionPanel", "recording_for"]


def _transports() -> tuple[str, ...]:
    from netra_diag.tokens import KNOWN_BAD_FORMATS, Transport

    return ("auto", *(str(t) for t in Transport), *(f"bad:{name}" for name in KNOWN_BAD_FORMATS))


# auto, every transport of PROTOCOL.md §2, and the known-bad formats for negative checks.
TRANSPORTS: tuple[str, ...] = _transports()


class LiveSessionPanel(SessionPanelDisplay, Panel):
    """URL, transport, user, token profile, secret variable and message in; connect / run / stop;
    events, timeline and verdicts out.

    Drive: set ``url.value``, ``transport.value``, ``sub.value``, ``profile.value``,
    ``secret_env.value`` (a variable's NAME), ``allow_production.value``, ``message.value``;
    ``connect_button.click()``, ``run_button.click()``, ``stop_button.click()`` (they start
    tasks on the running loop), or
    ``await panel.connect()`` / ``await panel.run()`` / ``await panel.stop()``. Results:
    ``state.value``, ``event_count.value``, ``events`` (every ``(direction, TimedEvent)``),
    ``event_table.value`` (HTML), ``figure`` (the timeline), ``handshake_html.value``,
    ``auth.value``, ``close_html.value``, ``outcome.value`` (how the run ended, then its event
    contract verdict), ``record`` (the last ``RunRecord``), ``contract`` (its ``ContractReport``),
    ``progress.value`` (while a run is in flight: seconds so far, of the timeout),
    ``secret.value`` (``$NAME: unset`` or ``$NAME: …#a1b2c3d4``) and ``secret_note.value``
    (HTML: the variable is unset, the secret too short for the profile, where signing falls back).

    Each new connection starts a fresh table and timeline (times are "since the session started",
    so two sessions on one axis would overlap), and forgets the last connection's handshake,
    verdict and close. A second Run while one is in flight is refused in words, not queued.

    ``record``: a cassette path. The first connection writes it; each later one (after Stop, or
    after the URL, transport, user or token changed) writes its own next to it,
    ``run-2.jsonl``, ``run-3.jsonl``..., so none overwrites an earlier session's recording.
    ``recording.value`` (HTML) says where the current connection's went.
    """

    title = "Live session"

    def __init__(
        self,
        *,
        url: str = "",
        sub: str = "notebook-user",
        profile: str = "local",
        secret_env: str = "JWT_SECRET_KEY",
        allow_production: bool = False,
        transport: str = "auto",
        message: str = "Why did last night's golden-path suite fail?",
        timeout: float = 20.0,
        record: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        from netra_diag.charts.live_timeline import LiveTimeline

        self._record = record
        self.session: Any = None
        self.record: Any = None
        self.contract: Any = None  # the last run's ContractReport
        self.error: BaseException | None = None  # why the last connect or task failed
        self.events: list[tuple[str, Any]] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self._marks_seen = 0
        self._running = False  # a run is in flight: a second one is refused
        self._connect_lock: asyncio.Lock | None = None
        self._opened_with: tuple[Any, ...] | None = None  # the form the session opened with
        self._notice_shown = ""  # the last notice about the panel's use, as shown
        self._recordings = 0  # cassettes written so far: each connection has its own

        self.url = widgets.Text(value=url, description="URL", layout={"width": "420px"})
        self.transport = widgets.Dropdown(
            options=list(TRANSPORTS), value=transport, description="transport"
        )
        self.sub = widgets.Text(value=sub, description="user (sub)")
        self.token_controls = SessionSecretControls(
            profile=profile,
            secret_env=secret_env,
            allow_production=allow_production,
            environ=environ,
        )
        self.profile = self.token_controls.profile
        self.secret_env = self.token_controls.secret_env
        self.allow_production = self.token_controls.allow_production
        self.secret = self.token_controls.secret
        self.secret_note = self.token_controls.secret_note
        self.message = widgets.Text(value=message, description="message", layout={"width": "520px"})
        self.timeout = widgets.FloatText(value=timeout, description="timeout s")
        self.connect_button = widgets.Button(description="Connect", icon="plug")
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop")
        self.state = widgets.Label(value="idle")
        self.progress = widgets.Label(value="")
        self.event_count = widgets.IntText(value=0, description="frames", disabled=True)
        self.auth = widgets.Label(value="")
        self.outcome = widgets.Label(value="")
        self.handshake_html = widgets.HTML(value="")
        self.close_html = widgets.HTML(value="")
        self.error_html = widgets.HTML(value="")
        self.recording = widgets.HTML(value="")  # where this connection's cassette is
        self.event_table = widgets.HTML(value=event_table([]))
        self.figure = new_figure()
        self.timeline = LiveTimeline(self.figure, title="Live timeline")
        self._static_plot = widgets.Output()  # only used when the figure is not a widget

        self.connect_button.on_click(lambda _b: self.start(self._connect_clicked))
        self.run_button.on_click(lambda _b: self.start(self.run))
        self.stop_button.on_click(lambda _b: self.start(self.stop))
        plot = self.figure if isinstance(self.figure, widgets.DOMWidget) else self._static_plot
        super().__init__(
            children=[
                widgets.HBox([self.url, self.transport]),
                widgets.HBox([self.sub, self.timeout]),
                self.token_controls,
                self.message,
                widgets.HBox(
                    [
                        self.connect_button,
                        self.run_button,
                        self.stop_button,
                        self.state,
                        self.progress,
                    ]
                ),
                widgets.HBox([widgets.Label("auth:"), self.auth]),
                self.handshake_html,
                self.recording,
                widgets.HBox([self.event_count, self.outcome]),
                plot,
                self.event_table,
                self.close_html,
                self.error_html,
            ]
        )
        self.add_class("netra-live-session")

    # -- tasks on the kernel's loop -------------------------------------------------------------

    def start(self, action: Callable[[], Coroutine[Any, Any, Any]]) -> asyncio.Task[Any] | None:
        """Run ``action()`` as a task on the running event loop (what the buttons do)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.error_html.value = (
                "<p>no running event loop here: use <code>await panel.run()</code> instead</p>"
            )
            return None
        task = loop.create_task(action())
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        from netra_diag.errors import NetraDiagError

        self.tasks.discard(task)
        exc = None if task.cancelled() else task.exception()
        if exc is not None:
            if self.state.value in ("connecting", "running"):
                self.state.value = "failed"
            # Our own errors are sentences already; anything else keeps its type for a bug report.
            words = str(exc) if isinstance(exc, NetraDiagError) else f"{type(exc).__name__}: {exc}"
            self._fail(exc, words)

    # -- actions --------------------------------------------------------------------------------

    async def connect(self) -> Any:
        """Open the session (minting a fresh token per attempt); show handshake and auth."""
        if self._connect_lock is None:
            self._connect_lock = asyncio.Lock()
        async with self._connect_lock:  # Connect then Run at once: one session, not two
            if self.session is not None and self.session.is_open:
                if self._opened_with == self._form():
                    return self.session
                # URL, transport or user changed since it opened: the run must use what the form
                # says now, not the open session's (which Run used to reuse without a word).
                await self.session.close()
            return await self._open()

    async def _connect_clicked(self) -> Any:
        """The Connect button: connect, or say that the open session is the one in use."""
        session = self.session
        if session is not None and session.is_open and self._opened_with == self._form():
            self._notice("already connected: Run sends the message, Stop closes the session")
            return session
        return await self.connect()

    def _form(self) -> tuple[Any, ...]:
        # The token's profile and secret too: a run after either changed must sign with the new.
        return (
            self.url.value.strip(),
            self.transport.value,
            self._user(),
            *self.token_controls.form(),
        )

    def _user(self) -> str:
        return self.sub.value.strip() or "notebook-user"

    async def _open(self) -> Any:
        from netra_diag.errors import NetraDiagError, UsageError
        from netra_diag.live import Session

        self._new_connection()
        self.state.value = "connecting"
        self._opened_with = self._form()
        user = self._user()
        record = recording_for(self._record, self._recordings + 1)
        before = modified_ns(record)
        try:
            try:
                # Looked up again: the variable may have been exported since the field changed.
                check = self.token_controls.refresh()
                if not check.ok:
                    raise UsageError(check.problem)
                self.session = await Session.connect(
                    self.url.value.strip(),
                    token=check.token_source(user),
                    transport=self.transport.value,
                    record=record,
                    on_frame=self._on_frame,
                    secrets=(check.key,),  # a message, or its echo, may quote it
                )
            finally:  # refused, stopped or connected: a cassette written is never overwritten
                wrote = self._wrote(record, before)
        except UsageError as exc:  # a bad URL, transport or secret: the caller's mistake, raised
            self.state.value = "failed"
            self._fail(exc)
            raise
        except NetraDiagError as exc:
            self.state.value = "failed"
            # A refused attempt's marks and close are in its cassette: point at it, unless the
            # file is not this attempt's (it failed before writing, or could not open it).
            if wrote:
                self._show_recording(record)
            explanation = getattr(exc, "explanation", "") or ""
            self._show_close(explanation)
            text = str(exc)
            if self.close_html.value and explanation and explanation in text:
                # Said once, under "close": the error line said it all over again.
                text = text.replace(explanation, "see the close explanation above").strip()
            self._fail(exc, text)
            return None
        self._show_handshake()
        self._show_recording(self.session.recording_path)
        self.state.value = "connected"
        return self.session

    def _wrote(self, record: Path | None, before: int | None) -> bool:
        """Whether this connection wrote ``record``; if so the next one writes the next name.
        A connect refused before any file (an unset secret) leaves the number for the next."""
        wrote = record is not None and modified_ns(record) not in (None, before)
        self._recordings += wrote
        return wrote

    def _new_connection(self) -> None:
        """Forget the last connection: its frames, timeline, handshake, verdict and close."""
        from netra_diag.charts.live_timeline import LiveTimeline

        self.session = self.record = self.error = None
        self.events = []
        self._marks_seen = 0
        self.event_count.value = 0
        self.auth.value = self.outcome.value = ""
        self.contract = None
        self.handshake_html.value = self.close_html.value = self.error_html.value = ""
        self.recording.value = ""
        with self.figure.batch_update():
            self.figure.data = ()
            self.figure.layout.annotations = ()
        self.timeline = LiveTimeline(self.figure, title="Live timeline")
        self._render_table()

    async def run(self, message: str | None = None) -> Any:
        """Send one message (connecting first if needed) and wait for the run to end."""
        from netra_diag.errors import NetraDiagError
        from netra_diag.events.contracts import check_run

        if self._running:
            self._notice("a run is already in flight: wait for it to end, or press Stop")
            return None
        try:
            timeout = float(self.timeout.value)
        except (TypeError, ValueError):
            timeout = float("nan")
        if not timeout > 0:
            self._notice(f"timeout s must be more than 0 seconds, got {self.timeout.value}")
            return None
        self._running = True
        ticker: asyncio.Task[None] | None = None
        try:
            session = await self.connect()
            if session is None:
                return None
            self.error_html.value = ""
            text = message if message is not None else self.message.value
            self.state.value = "running"
            self.outcome.value = ""
            self.contract = None
            ticker = asyncio.get_running_loop().create_task(self._tick(timeout))
            try:
                self.record = await session.run(text, timeout=timeout)
            except NetraDiagError as exc:
                self.state.value = "connected" if session.is_open else "failed"
                self._fail(exc)
                self._show_close()
                return None
            except asyncio.CancelledError:
                self.outcome.value = "stopped before the run ended"
                raise
        finally:
            self._running = False
            if ticker is not None:
                ticker.cancel()
            self.progress.value = ""
        self._sync_marks()
        rec = self.record
        first = f", first event {rec.first_event_s * 1000:.0f} ms" if rec.first_event_s else ""
        # "completed" says only that a terminal event came: the run's event contract is said
        # beside it, or a run that lost agent_started read as a clean one.
        self.contract = check_run(rec.events)
        self.outcome.value = (
            f"{rec.outcome}: {len(rec.events)} events in {rec.duration_s * 1000:.0f} ms{first}; "
            f"contract {self.contract.verdict}"
        )
        self.state.value = "connected" if session.is_open else "closed"
        if not session.is_open:
            self._show_close()
        self._redraw_static()
        self._refresh_static()
        return rec

    async def _tick(self, limit: float) -> None:
        """Say how long the run has been going, so a quiet stretch does not look like a hang."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            self.progress.value = (
                f"{loop.time() - started:.0f} s of {limit:g} s, {self.event_count.value} frames"
            )
            await asyncio.sleep(0.5)

    async def stop(self) -> None:
        """Cancel what is running and close the session (normal close, 1000)."""
        for task in list(self.tasks):
            if task is not asyncio.current_task():
                task.cancel()
        if self.session is not None:
            await self.session.close()
            self._sync_marks()
            self._show_close()
            if self.timeline is not None:
                self.timeline.end()
        if self.error_html.value and self.error_html.value == self._notice_shown:
            self.error_html.value = ""  # "a run is already in flight" is no longer true
        self.state.value = "closed"
        self._refresh_static()
