"""The walk that measures a session's phases (``latency.phase_names``), one cassette at a time.

``PhaseScanner`` is fed one cassette's lines in order (marks through ``mark``, frames through
``frame_out`` / ``frame_in``) and emits one row per measurement; ``phase_metrics`` in
``netra_diag.latency.metrics`` drives it. What each phase measures is listed there.

When the upgrade completed. Frames carry the time the reader received them, the ``upgrade_done``
mark the time the client's ``connect()`` returned and wrote it. The service sends
``connection_established`` right after the 101 (PROTOCOL.md §3), so the reader often stamps it
*before* the mark. The upgrade is complete no later than the first frame received on that
connection, so the scanner takes the upgrade time as the earliest of the ``upgrade_done`` mark,
the connection's first incoming frame and its ``connection_established``, whichever order the
lines come in. Hence, for every connection, ``connect`` (start → upgrade) + ``auth`` (upgrade →
``connection_established``) = ``time_to_established``, and ``auth`` is never negative: 0 ms
means that ``connection_established`` was the first frame and came in before ``connect()``
returned, so the service's auth step took no time the client could see apart from the upgrade.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netra_diag.events.model import AGENT_EVENTS, REQUEST_TYPES, TERMINAL_EVENTS
from netra_diag.latency.cell_values import as_number, as_text
from netra_diag.latency.clock_skew import clock_violation_ms
from netra_diag.latency.openings import Openings, feed
from netra_diag.latency.phase_names import LIVENESS, PING_TYPES, PONG_TYPES, Phase

__all__ = ["EventInfo", "PhaseScanner"]

_FAILED_CONNECT_MARKS = frozenset({"handshake_rejected", "error", "close"})
_SUCCESS_OUTCOMES = frozenset({"completed", "ok", "success", "passed"})
# Rows of a connection attempt: ``latency.openings`` drops those of attempts that were no
# connect of their own (auto's fallbacks and extra sockets).
_CONNECTION_PHASES = frozenset({"connect", "auth", "handshake", "time_to_established"})


@dataclass
class _Run:
    index: int
    start: float | None
    run_id: str | None = None
    thread_id: str | None = None
    first_frame: float | None = None
    first_event: float | None = None
    first_thinking: float | None = None
    last_event: float | None = None
    terminal: float | None = None
    terminal_mark: float | None = None
    first_event_mark: float | None = None
    end_mark: tuple[float, float, bool] | None = None  # (t, wall, success)
    timed_out: bool = False  # the client gave up waiting (``run_end`` outcome timeout)
    open_tools: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    rows: list[dict[str, Any]] = field(default_factory=list)


class PhaseScanner:
    """Walks one cassette's rows in order and emits metric rows."""

    def __init__(self, cassette: str, user: str | None, trigger: str, ping_marks: bool) -> None:
        self.cassette, self.user = cassette, user
        self.trigger, self.ping_marks = trigger, ping_marks
        self.out: list[dict[str, Any]] = []
        self.connect_start: float | None = None
        self.conn_origin: float | None = None
        self.upgrade_t: float | None = None
        # The current connection's upgrade time came from an incoming frame walked before its
        # ``upgrade_done`` mark (lines in time order); the mark then changes nothing.
        self.upgrade_from_frame = False
        self.connect_row: dict[str, Any] | None = None
        self.established = True
        self.recovery_start: float | None = None
        self.last_close: float | None = None
        self.handshake_t: float | None = None
        self.pings: deque[float] = deque()
        self.run: _Run | None = None
        self.runs = 0
        self.t = 0.0
        self.wall = math.nan
        # The least disagreement between the server's clock and the client's wall clock this
        # cassette proves (ms): see ``clock_violation_ms``.
        self.clock_skew_ms = 0.0
        self.openings = Openings(cassette, lambda: self.emit(Phase.CONNECT, math.nan, ok=False))

    # -- output ---------------------------------------------------------------------------------

    def emit(
        self,
        phase: Phase,
        value: float,
        *,
        ok: bool = True,
        source: str = "client",
        tool: str | None = None,
        in_run: bool = False,
    ) -> dict[str, Any]:
        row = {
            "run": None,
            "user": self.user,
            "phase": str(phase),
            "value_ms": value if ok else math.nan,
            "source": source,
            "ok": ok and math.isfinite(value),
            "cassette": self.cassette,
            "t_ms": self.t,
            "wall": self.wall,
            "tool": tool,
            "clock_skew_ms": math.nan,
            "at_least_ms": math.nan,
        }
        if in_run and self.run is not None:
            self.run.rows.append(row)
        else:
            self.out.append(row)
            if row["phase"] in _CONNECTION_PHASES:
                self.openings.track(row)
        return row

    def fail(
        self,
        phase: Phase,
        *,
        in_run: bool = False,
        tool: str | None = None,
        at_least: float = math.nan,
    ) -> None:
        """A row for an attempt with no value; ``at_least`` (ms) when it is known to have
        taken at least that long (the client gave up waiting after that)."""
        row = self.emit(phase, math.nan, ok=False, in_run=in_run, tool=tool)
        row["at_least_ms"] = at_least

    # -- marks ----------------------------------------------------------------------------------

    def mark(self, name: str, data: Mapping[str, Any]) -> None:
        t = self.t
        if name != "connect_start":
            feed(self.openings, name, data, t)
        if name == "connect_start":
            if self.connect_start is not None:
                self.fail(Phase.CONNECT)
            feed(self.openings, name, data, t)  # after the fail: that row is the last attempt's
            self.connect_start = self.conn_origin = t
            self.upgrade_t, self.established = None, False
            self.upgrade_from_frame, self.connect_row = False, None
        elif name == "upgrade_done":
            status = data.get("status")
            if isinstance(status, int) and not isinstance(status, bool) and status != 101:
                self._connect_failed()
                return
            if self.upgrade_from_frame:
                # An earlier frame of this connection already settled the upgrade time.
                self.upgrade_from_frame = False
                return
            self._upgraded(t)
        elif name == "connection_established":
            self._established()
        elif name == "establish_timeout":
            if not self.established:
                self.fail(Phase.AUTH)
                self.fail(Phase.TIME_TO_ESTABLISHED)
                self.established = True
        elif name in _FAILED_CONNECT_MARKS:
            if name == "close":
                self.last_close = t
            if self.connect_start is not None:
                self._connect_failed()
            elif not self.established:
                # Upgraded, then closed or failed before connection_established: auth failed.
                self.fail(Phase.AUTH)
                self.fail(Phase.TIME_TO_ESTABLISHED)
                self.established = True
        elif name == "reconnect_attempt":
            if self.recovery_start is None:
                recent_close = self.last_close is not None and (
                    self.upgrade_t is None or self.last_close >= self.upgrade_t
                )
                self.recovery_start = self.last_close if recent_close else t
        elif name == "reconnected":
            self._recovered()
        elif name == "ping_rtt":
            rtt = as_number(data.get("rtt_ms"))
            if math.isfinite(rtt):
                self.emit(Phase.PING_RTT, rtt)
        elif name == self.trigger:
            self.start_run()
        elif name == "run_end" and self.run is not None:
            outcome = str(data.get("outcome") or "").lower()
            self.run.end_mark = (t, self.wall, outcome in _SUCCESS_OUTCOMES)
            self.run.timed_out = outcome == "timeout"
            self.run.run_id = self.run.run_id or as_text(data.get("run_id"))
            self.run.thread_id = self.run.thread_id or as_text(data.get("thread_id"))
            self.finish_run()
        elif name == "first_event" and self.run is not None:
            self.run.first_event_mark = self.run.first_event_mark or t
        elif name == "terminal_event" and self.run is not None:
            self.run.terminal_mark = self.run.terminal_mark or t

    def _connect_failed(self) -> None:
        self.fail(Phase.CONNECT)
        self.connect_start = None

    def _upgraded(self, t: float) -> None:
        """The current connection's upgrade completed at ``t`` (see the module docstring)."""
        if self.connect_start is not None:
            self.connect_row = self.emit(Phase.CONNECT, t - self.connect_start)
            self.connect_start = None
        self.upgrade_t = t

    def _received_before_established(self) -> None:
        """A frame came in (or the connection was established) before ``connection_established``
        was handled: the upgrade was complete by now, whatever the ``upgrade_done`` mark says."""
        t = self.t
        if self.established or self.conn_origin is None or t < self.conn_origin:
            return  # no connect_start in this cassette, or a frame of an earlier connection
        if self.upgrade_t is None:
            if self.connect_start is None:
                return  # this connection's connect already failed
            # Lines in time order: the frame is walked before the upgrade_done mark.
            self._upgraded(t)
            self.upgrade_from_frame = True
        elif t < self.upgrade_t:
            # Lines in file order: the mark was written after the frame it follows.
            self.upgrade_t = t
            row = self.connect_row
            if row is not None and row["ok"]:
                row["value_ms"], row["t_ms"], row["wall"] = t - self.conn_origin, t, self.wall

    def _established(self) -> None:
        if self.established:
            return
        self._received_before_established()
        t = self.t
        if self.upgrade_t is not None:
            # Never negative: _received_before_established moved the upgrade to now at the latest.
            self.emit(Phase.AUTH, t - self.upgrade_t)
        if self.conn_origin is not None:
            self.emit(Phase.TIME_TO_ESTABLISHED, t - self.conn_origin)
        self.established = True
        self._recovered()

    def _recovered(self) -> None:
        if self.recovery_start is not None:
            self.emit(Phase.RECONNECT, self.t - self.recovery_start)
            self.recovery_start = None

    # -- frames ---------------------------------------------------------------------------------

    def frame_out(self, ftype: str) -> None:
        if ftype in REQUEST_TYPES and self.trigger == "frames":
            self.start_run()
        elif ftype in PING_TYPES and not self.ping_marks:
            self.pings.append(self.t)

    def frame_in(self, ftype: str, info: EventInfo) -> None:
        t = self.t
        self._received_before_established()
        if ftype == "connection_established":
            self._established()
        elif ftype == "handshake_response":
            self.handshake_t = t
        elif ftype == "handshake_complete" and self.handshake_t is not None:
            self.emit(Phase.HANDSHAKE, t - self.handshake_t)
            self.handshake_t = None
        if ftype in PONG_TYPES and self.pings and not self.ping_marks:
            self.emit(Phase.PING_RTT, t - self.pings.popleft())
        run = self.run
        if run is None and ftype in AGENT_EVENTS:
            run = self.start_run(implicit=True)
        if run is None:
            return
        if run.first_frame is None and ftype not in LIVENESS and ftype:
            run.first_frame = t
            if run.start is not None:
                self.emit(Phase.FIRST_FRAME, t - run.start, in_run=True)
        if ftype not in AGENT_EVENTS:
            return
        run.run_id = run.run_id or info.run_id
        run.thread_id = run.thread_id or info.thread_id
        if run.first_event is None:
            run.first_event = t
            if run.start is not None:
                self.emit(Phase.FIRST_EVENT, t - run.start, in_run=True)
        if ftype == "agent_thinking" and run.first_thinking is None:
            run.first_thinking = t
            if run.start is not None:
                self.emit(Phase.FIRST_THINKING, t - run.start, in_run=True)
        if run.last_event is not None:
            self.emit(Phase.EVENT_GAP, t - run.last_event, in_run=True)
        run.last_event = t
        if math.isfinite(info.server_ts) and math.isfinite(self.wall):
            latency = (self.wall - info.server_ts) * 1e3
            elapsed = t - run.start if run.start is not None else math.inf
            self.clock_skew_ms = max(self.clock_skew_ms, clock_violation_ms(latency, elapsed))
            self.emit(Phase.EVENT_LATENCY, latency, source="server", in_run=True)
        tool = info.tool_name or "?"
        if ftype == "tool_executing":
            run.open_tools[tool].append(t)
        elif ftype == "tool_completed":
            if run.open_tools[tool]:
                began = run.open_tools[tool].popleft()
                self.emit(Phase.TOOL_DURATION, t - began, tool=tool, in_run=True)
            if math.isfinite(info.duration_s):
                self.emit(
                    Phase.TOOL_DURATION,
                    info.duration_s * 1e3,
                    source="server",
                    tool=tool,
                    in_run=True,
                )
        if ftype in TERMINAL_EVENTS and run.terminal is None:
            run.terminal = t

    # -- runs -----------------------------------------------------------------------------------

    def start_run(self, *, implicit: bool = False) -> _Run:
        self.finish_run()
        self.runs += 1
        self.run = _Run(self.runs, None if implicit else self.t)
        return self.run

    def finish_run(self) -> None:
        run = self.run
        if run is None:
            return
        saved_t, saved_wall = self.t, self.wall
        if run.start is not None:
            if run.first_frame is None:
                self.fail(Phase.FIRST_FRAME, in_run=True)
            if run.first_event is None:
                if run.first_event_mark is not None:
                    self.t = run.first_event_mark
                    self.emit(Phase.FIRST_EVENT, run.first_event_mark - run.start, in_run=True)
                else:
                    self.fail(Phase.FIRST_EVENT, in_run=True)
            end = run.terminal if run.terminal is not None else run.terminal_mark
            if end is None and run.end_mark is not None and run.end_mark[2]:
                end = run.end_mark[0]
            if end is not None:
                self.t = end
                self.emit(Phase.RUN_TOTAL, end - run.start, in_run=True)
            else:
                self.fail(Phase.RUN_TOTAL, in_run=True, at_least=self._waited(run, run.start))
        if run.terminal is None and run.terminal_mark is None and run.last_event is not None:
            # The silence from the last event until the client gave up is a gap that never
            # closed: at least that long (PROTOCOL.md §5: at most 30 s between events).
            waited = self._waited(run, run.last_event)
            if math.isfinite(waited) and run.end_mark is not None:
                self.t, self.wall = run.end_mark[0], run.end_mark[1]
                self.fail(Phase.EVENT_GAP, in_run=True, at_least=waited)
        for tool, starts in run.open_tools.items():
            for _ in starts:
                self.fail(Phase.TOOL_DURATION, in_run=True, tool=tool)
        self.t, self.wall = saved_t, saved_wall
        name = run.run_id or run.thread_id or f"run-{run.index}"
        for row in run.rows:
            row["run"] = name
        self.out.extend(run.rows)
        self.run = None

    @staticmethod
    def _waited(run: _Run, since: float) -> float:
        """How long the client waited from ``since`` until it gave up on ``run`` (ms); NaN
        when it did not time out (a close, a cut recording: no bound is known)."""
        if not run.timed_out or run.end_mark is None or run.end_mark[2]:
            return math.nan
        return max(0.0, run.end_mark[0] - since)

    def finish(self) -> list[dict[str, Any]]:
        self.finish_run()
        if self.connect_start is not None:
            self._connect_failed()
        if self.recovery_start is not None:
            self.fail(Phase.RECONNECT)
            self.recovery_start = None
        # One pair of clocks per cassette: what one event proves holds for all of them.
        for row in self.out:
            if row["phase"] == Phase.EVENT_LATENCY:
                row["clock_skew_ms"] = self.clock_skew_ms
        dropped = self.openings.dropped
        return [row for row in self.out if id(row) not in dropped] if dropped else self.out


@dataclass(frozen=True, slots=True)
class EventInfo:
    """The fields of an incoming agent event the phases need."""

    run_id: str | None = None
    thread_id: str | None = None
    tool_name: str | None = None
    server_ts: float = math.nan
    duration_s: float = math.nan
