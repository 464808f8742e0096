"""Phase latencies from recordings and live runs, as one tidy DataFrame.

``phase_metrics(frames_df)`` reads the ``frames`` table of ``netra_diag.recording.load_frames``
(docs/cassette-format.md) and walks each cassette in order. Every measurement becomes one row:

=================== ======================================================================
phase               what is measured (client monotonic clock unless noted)
=================== ======================================================================
connect             ``connect_start`` → ``upgrade_done`` (TCP + TLS + HTTP upgrade)
auth                ``upgrade_done`` → ``connection_established`` (the server's auth step)
handshake           ``handshake_response`` → ``handshake_complete`` (newest generation)
time_to_established ``connect_start`` → ``connection_established``
reconnect           ``close`` (or first ``reconnect_attempt``) → ``connection_established``
                    or ``reconnected`` after a reconnect attempt, backoff included
first_frame         run start → first frame back (liveness frames excluded); PROTOCOL.md §8
first_event         run start → first agent event
first_thinking      run start → first ``agent_thinking``
tool_duration       ``tool_executing`` → ``tool_completed`` of the same tool (source client);
                    the server's own ``duration`` / ``execution_time_ms`` (source server)
event_gap           between consecutive agent events of a run (PROTOCOL.md §5: <= 30 s)
event_latency       client receipt wall clock - the event's server timestamp (source server;
                    meaningful only when both clocks agree, e.g. on loopback)
run_total           run start → terminal event (``agent_completed``, ``final_report``,
                    ``agent_error``), or ``run_end`` with a completed outcome
ping_rtt            ``ping_rtt`` marks, or ``ping``/``heartbeat`` → ``pong``/``heartbeat_ack``
=================== ======================================================================

A run starts at a ``message_sent`` mark (or ``run_start`` when there are none, or an outgoing
chat frame when there are no marks). Attempts that never completed (a connect that was refused,
a run with no terminal event, a tool that never finished) are rows with ``ok`` False and
``value_ms`` NaN, so success rates can be computed and percentiles exclude them.

Output columns (``METRIC_COLUMNS`` then one ``label_<name>`` per recording label):
``run`` (run id, thread id or ``run-<k>``; None for session phases), ``user``, ``phase``,
``value_ms`` (float), ``source`` (``client`` | ``server``), ``ok`` (bool), ``cassette``,
``t_ms`` (client clock at the end of the measured interval), ``wall`` (epoch s, may be NaN),
``tool`` (tool name for ``tool_duration``, else None).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.events.model import AGENT_EVENTS, TERMINAL_EVENTS, TimedEvent, parse_frame

__all__ = [
    "METRIC_COLUMNS",
    "Phase",
    "frames_from_run",
    "metrics_from_runs",
    "phase_metrics",
]

METRIC_COLUMNS: tuple[str, ...] = (
    "run",
    "user",
    "phase",
    "value_ms",
    "source",
    "ok",
    "cassette",
    "t_ms",
    "wall",
    "tool",
)


class Phase(StrEnum):
    CONNECT = "connect"
    AUTH = "auth"
    HANDSHAKE = "handshake"
    TIME_TO_ESTABLISHED = "time_to_established"
    RECONNECT = "reconnect"
    FIRST_FRAME = "first_frame"
    FIRST_EVENT = "first_event"
    FIRST_THINKING = "first_thinking"
    TOOL_DURATION = "tool_duration"
    EVENT_GAP = "event_gap"
    EVENT_LATENCY = "event_latency"
    RUN_TOTAL = "run_total"
    PING_RTT = "ping_rtt"


# PROTOCOL.md §4: the client message types that start an agent run.
CHAT_TYPES = frozenset(
    {
        "user_message",
        "chat_message",
        "chat",
        "message",
        "user",
        "user_input",
        "start_agent",
        "execute_agent",
        "agent_request",
    }
)
PING_TYPES = frozenset({"ping", "heartbeat"})
PONG_TYPES = frozenset({"pong", "heartbeat_ack"})
LIVENESS = frozenset({"heartbeat", "pong", "heartbeat_ack"})
_FAILED_CONNECT_MARKS = frozenset({"handshake_rejected", "error", "close"})
_SUCCESS_OUTCOMES = frozenset({"completed", "ok", "success", "passed"})
_REQUIRED = ("cassette", "t_ms")


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return value is pd.NA or value is pd.NaT


def _num(value: Any) -> float:
    if isinstance(value, bool) or _blank(value):
        return math.nan
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out if math.isfinite(out) else math.nan


def _text(value: Any) -> str | None:
    return None if _blank(value) or value == "" else str(value)


def _data(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, Mapping) else {}
    return {}


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
    open_tools: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    rows: list[dict[str, Any]] = field(default_factory=list)


class _Scanner:
    """Walks one cassette's rows in order and emits metric rows."""

    def __init__(self, cassette: str, user: str | None, trigger: str, ping_marks: bool) -> None:
        self.cassette, self.user = cassette, user
        self.trigger, self.ping_marks = trigger, ping_marks
        self.out: list[dict[str, Any]] = []
        self.connect_start: float | None = None
        self.conn_origin: float | None = None
        self.upgrade_t: float | None = None
        self.established = True
        self.recovery_start: float | None = None
        self.last_close: float | None = None
        self.handshake_t: float | None = None
        self.pings: deque[float] = deque()
        self.run: _Run | None = None
        self.runs = 0
        self.t = 0.0
        self.wall = math.nan

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
    ) -> None:
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
        }
        if in_run and self.run is not None:
            self.run.rows.append(row)
        else:
            self.out.append(row)

    def fail(self, phase: Phase, *, in_run: bool = False, tool: str | None = None) -> None:
        self.emit(phase, math.nan, ok=False, in_run=in_run, tool=tool)

    # -- marks ----------------------------------------------------------------------------------

    def mark(self, name: str, data: Mapping[str, Any]) -> None:
        t = self.t
        if name == "connect_start":
            if self.connect_start is not None:
                self.fail(Phase.CONNECT)
            self.connect_start = self.conn_origin = t
            self.upgrade_t, self.established = None, False
        elif name == "upgrade_done":
            status = data.get("status")
            if isinstance(status, int) and not isinstance(status, bool) and status != 101:
                self._connect_failed()
                return
            if self.connect_start is not None:
                self.emit(Phase.CONNECT, t - self.connect_start)
                self.connect_start = None
            self.upgrade_t = t
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
            rtt = _num(data.get("rtt_ms"))
            if math.isfinite(rtt):
                self.emit(Phase.PING_RTT, rtt)
        elif name == self.trigger:
            self.start_run()
        elif name == "run_end" and self.run is not None:
            outcome = str(data.get("outcome") or "").lower()
            self.run.end_mark = (t, self.wall, outcome in _SUCCESS_OUTCOMES)
            self.run.run_id = self.run.run_id or _text(data.get("run_id"))
            self.run.thread_id = self.run.thread_id or _text(data.get("thread_id"))
            self.finish_run()
        elif name == "first_event" and self.run is not None:
            self.run.first_event_mark = self.run.first_event_mark or t
        elif name == "terminal_event" and self.run is not None:
            self.run.terminal_mark = self.run.terminal_mark or t

    def _connect_failed(self) -> None:
        self.fail(Phase.CONNECT)
        self.connect_start = None

    def _established(self) -> None:
        if self.established:
            return
        t = self.t
        if self.upgrade_t is not None:
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
        if ftype in CHAT_TYPES and self.trigger == "frames":
            self.start_run()
        elif ftype in PING_TYPES and not self.ping_marks:
            self.pings.append(self.t)

    def frame_in(self, ftype: str, info: _Info) -> None:
        t = self.t
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
            self.emit(
                Phase.EVENT_LATENCY,
                (self.wall - info.server_ts) * 1e3,
                source="server",
                in_run=True,
            )
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
                self.fail(Phase.RUN_TOTAL, in_run=True)
        for tool, starts in run.open_tools.items():
            for _ in starts:
                self.fail(Phase.TOOL_DURATION, in_run=True, tool=tool)
        self.t, self.wall = saved_t, saved_wall
        name = run.run_id or run.thread_id or f"run-{run.index}"
        for row in run.rows:
            row["run"] = name
        self.out.extend(run.rows)
        self.run = None

    def finish(self) -> list[dict[str, Any]]:
        self.finish_run()
        if self.connect_start is not None:
            self._connect_failed()
        if self.recovery_start is not None:
            self.fail(Phase.RECONNECT)
            self.recovery_start = None
        return self.out


@dataclass(frozen=True, slots=True)
class _Info:
    run_id: str | None = None
    thread_id: str | None = None
    tool_name: str | None = None
    server_ts: float = math.nan
    duration_s: float = math.nan


def _info_from_row(row: Mapping[str, Any], has: frozenset[str]) -> _Info:
    """Event details from ready columns (``events`` table, live runs) or by parsing ``text``."""
    if {"tool_name", "server_ts", "duration_s"} <= has:
        return _Info(
            _text(row.get("run_id")),
            _text(row.get("thread_id")),
            _text(row.get("tool_name")),
            _num(row.get("server_ts")),
            _num(row.get("duration_s")),
        )
    text = row.get("text")
    if not isinstance(text, str) or not text:
        return _Info(_text(row.get("run_id")), _text(row.get("thread_id")))
    ev = parse_frame(text)
    duration = ev.duration_s
    ts = ev.timestamp
    return _Info(
        _text(row.get("run_id")) or ev.run_id,
        _text(row.get("thread_id")) or ev.thread_id,
        ev.tool_name,
        ts if ts is not None else math.nan,
        duration if duration is not None else math.nan,
    )


def _empty(labels: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in (*METRIC_COLUMNS, *labels)})
    for col in ("value_ms", "t_ms", "wall"):
        frame[col] = frame[col].astype("float64")
    frame["ok"] = frame["ok"].astype(bool)
    return frame


def phase_metrics(frames_df: pd.DataFrame) -> pd.DataFrame:
    """Per-phase latencies from a ``frames`` table (see the module docstring for phases and the
    exact output columns). Required input columns: ``cassette``, ``t_ms``; used when present:
    ``seq``, ``kind`` (default ``frame``), ``dir`` (default ``in``), ``wall``, ``type``,
    ``mark``, ``data``, ``text``, ``user``, ``run_id``, ``thread_id``, ``label_*``, and (as in
    the ``events`` table) ``tool_name``, ``server_ts``, ``duration_s``."""
    missing = [c for c in _REQUIRED if c not in frames_df.columns]
    if missing:
        raise LatencyDataError(
            "phase_metrics", f"frames need column(s) {missing}; got {list(frames_df.columns)}"
        )
    labels = sorted(c for c in frames_df.columns if str(c).startswith("label_"))
    if frames_df.empty:
        return _empty(labels)
    has = frozenset(str(c) for c in frames_df.columns)
    order = "seq" if "seq" in has else "t_ms"
    rows: list[dict[str, Any]] = []
    for cassette, part in frames_df.groupby("cassette", sort=False, dropna=False):
        part = part.sort_values(order, kind="stable")
        records: list[dict[str, Any]] = [
            {str(k): v for k, v in rec.items()} for rec in part.to_dict("records")
        ]
        rows.extend(_scan(str(cassette), records, has, labels))
    if not rows:
        return _empty(labels)
    out = pd.DataFrame(rows, columns=[*METRIC_COLUMNS, *labels])
    out["value_ms"] = out["value_ms"].astype("float64")
    out["ok"] = out["ok"].astype(bool)
    return out


def _scan(
    cassette: str, records: list[dict[str, Any]], has: frozenset[str], labels: Sequence[str]
) -> list[dict[str, Any]]:
    marks = {str(r.get("mark")) for r in records if r.get("kind") == "mark"}
    trigger = "message_sent" if "message_sent" in marks else "run_start"
    if not marks & {"message_sent", "run_start"}:
        trigger = "frames"
    user = next((_text(r.get("user")) for r in records if _text(r.get("user"))), None)
    scanner = _Scanner(cassette, user, trigger, "ping_rtt" in marks)
    for rec in records:
        t = _num(rec.get("t_ms"))
        if not math.isfinite(t):
            continue
        scanner.t, scanner.wall = t, _num(rec.get("wall"))
        kind = rec.get("kind", "frame") if "kind" in has else "frame"
        if kind == "mark":
            scanner.mark(str(rec.get("mark") or ""), _data(rec.get("data")))
            continue
        ftype = _text(rec.get("type")) or ""
        direction = rec.get("dir", "in") if "dir" in has else "in"
        if direction == "out":
            scanner.frame_out(ftype)
            continue
        if not ftype and isinstance(rec.get("text"), str):
            ftype = parse_frame(rec["text"]).type
        needs_info = ftype in AGENT_EVENTS
        info = _info_from_row(rec, has) if needs_info else _Info()
        scanner.frame_in(ftype, info)
    out = scanner.finish()
    first = records[0] if records else {}
    for row in out:
        for label in labels:
            row[label] = first.get(label)
    return out


# -- live runs --------------------------------------------------------------------------------


def _mark_fields(mark: Any) -> tuple[str, float, float, Mapping[str, Any]]:
    if isinstance(mark, tuple | list):
        name, t = mark[0], mark[1]
        extra: Mapping[str, Any] = mark[2] if len(mark) > 2 and isinstance(mark[2], Mapping) else {}
        return str(name), float(t), math.nan, extra
    data = getattr(mark, "data", None)
    wall = getattr(mark, "wall", None)
    return (
        str(mark.name),
        float(mark.t),
        _num(wall),
        data if isinstance(data, Mapping) else {},
    )


def frames_from_run(
    run: Any,
    *,
    cassette: str = "live",
    user: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A ``frames``-shaped table from a live run record: any object with ``marks`` (items with
    ``name``, ``t`` seconds, optional ``wall`` and ``data``, or ``(name, t[, data])`` tuples) and
    ``events`` (``TimedEvent``). Incoming events only; the run starts at its ``message_sent``
    or ``run_start`` mark."""
    rows: list[dict[str, Any]] = []
    user = user or _text(getattr(run, "user_id", None)) or _text(getattr(run, "user", None))
    label_cols = {f"label_{k}": v for k, v in (labels or {}).items()}
    for mark in getattr(run, "marks", ()) or ():
        name, t, wall, data = _mark_fields(mark)
        rows.append(
            {"kind": "mark", "mark": name, "t_ms": t * 1e3, "wall": wall, "data": dict(data)}
        )
    events: Iterable[TimedEvent] = (
        getattr(run, "events", None) or getattr(run, "timed_events", None) or ()
    )
    for te in events:
        ev = te.event
        ts, dur = ev.timestamp, ev.duration_s
        rows.append(
            {
                "kind": "frame",
                "dir": "in",
                "t_ms": te.t * 1e3,
                "wall": _num(te.wall),
                "type": ev.type,
                "run_id": ev.run_id,
                "thread_id": ev.thread_id,
                "user_id": ev.user_id,
                "tool_name": ev.tool_name,
                "server_ts": ts if ts is not None else math.nan,
                "duration_s": dur if dur is not None else math.nan,
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "kind",
            "dir",
            "mark",
            "t_ms",
            "wall",
            "data",
            "type",
            "run_id",
            "thread_id",
            "user_id",
            "tool_name",
            "server_ts",
            "duration_s",
        ],
    )
    # Marks first at equal times: a message_sent mark precedes the events it caused.
    frame["_order"] = (frame["kind"] != "mark").astype(int)
    frame = frame.sort_values(["t_ms", "_order"], kind="stable").drop(columns="_order")
    frame.insert(0, "cassette", cassette)
    frame.insert(1, "user", user)
    frame.insert(2, "seq", range(len(frame)))
    for key, value in label_cols.items():
        frame[key] = value
    return frame.reset_index(drop=True)


def metrics_from_runs(
    runs: Iterable[Any],
    *,
    user: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``phase_metrics`` over live run records (see ``frames_from_run``); each run is scanned
    as its own cassette ``live-<i>``."""
    frames = [
        frames_from_run(run, cassette=f"live-{i}", user=user, labels=labels)
        for i, run in enumerate(runs)
    ]
    if not frames:
        return _empty()
    return phase_metrics(pd.concat(frames, ignore_index=True))
