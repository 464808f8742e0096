"""Phase latencies from recordings and live runs, as one tidy DataFrame.

``phase_metrics(frames_df)`` reads the ``frames`` table of ``netra_diag.recording.load_frames``
(docs/cassette-format.md) and walks each cassette in order. Every measurement becomes one row:

=================== ======================================================================
phase               what is measured (client monotonic clock unless noted)
=================== ======================================================================
connect             ``connect_start`` → upgrade (TCP + TLS + HTTP upgrade); the upgrade is the
                    ``upgrade_done`` mark or, when earlier, the first frame received on the
                    connection (it cannot arrive before the 101): see ``latency.phase_scanner``
auth                upgrade → ``connection_established`` (the server's auth step; >= 0, and
                    0 when ``connection_established`` was received before ``connect()`` returned)
handshake           ``handshake_response`` → ``handshake_complete`` (newest generation)
time_to_established ``connect_start`` → ``connection_established`` (= connect + auth)
reconnect           ``close`` (or first ``reconnect_attempt``) → ``connection_established``
                    or ``reconnected`` after a reconnect attempt, backoff included
first_frame         run start → first frame back (liveness frames excluded); PROTOCOL.md §8
first_event         run start → first agent event
first_thinking      run start → first ``agent_thinking``
tool_duration       ``tool_executing`` → ``tool_completed`` of the same tool (source client);
                    the server's own ``duration`` / ``execution_time_ms`` (source server)
event_gap           between consecutive agent events of a run (PROTOCOL.md §5: <= 30 s); a run
                    that timed out after an event adds a gap with no value, at least the
                    silence from that event to the timeout (``at_least_ms``)
event_latency       client receipt wall clock - the event's server timestamp (source server;
                    meaningful only when both clocks agree, e.g. on loopback)
run_total           run start → terminal event (``agent_completed``, ``final_report``,
                    ``agent_error``), or ``run_end`` with a completed outcome
ping_rtt            ``ping_rtt`` marks, or ``ping``/``heartbeat`` → ``pong``/``heartbeat_ack``
=================== ======================================================================

Connection phases (``connect``, ``auth``, ``handshake``, ``time_to_established``) count each
opening once (a session's connect, each reconnect), by the transport it kept: with ``auto``, the
refused attempts before it are fallbacks and the sockets it closed again are not connects; an
opening refused on every transport is one failed ``connect`` (``netra_diag.latency.openings``,
``summarize_openings`` says how many of each there were). A refused attempt (HTTP 403, or
accepted and closed 1008 before ``connection_established``) is never an upgraded connect.

A run starts at a ``message_sent`` mark (or ``run_start`` when there are none, or an outgoing
chat frame when there are no marks). Attempts that never completed (a connect that was refused,
a run with no terminal event, a tool that never finished) are rows with ``ok`` False and
``value_ms`` NaN, so success rates can be computed and percentiles exclude them; when the run
timed out, ``at_least_ms`` of its ``run_total`` row says how long it had run by then.

Output columns (``METRIC_COLUMNS`` then one ``label_<name>`` per recording label):
``run`` (run id, thread id or ``run-<k>``; missing (NA) for session phases), ``user``, ``phase``,
``value_ms`` (float), ``source`` (``client`` | ``server``), ``ok`` (bool), ``cassette``,
``t_ms`` (client clock at the end of the measured interval), ``wall`` (epoch s, may be NaN),
``tool`` (tool name for ``tool_duration``, else NA), ``clock_skew_ms`` (``event_latency`` rows:
the least disagreement between the server's clock and the client's wall clock the cassette
proves, from server timestamps that lie outside [request sent, event received] (0 when all fit;
large in a replay, which serves the recorded, old server timestamps); NaN for other phases),
``at_least_ms`` (a row with no value whose run timed out: how long it had taken when the client
gave up, so its value is at least that; NaN otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from netra_diag.errors import LatencyDataError
from netra_diag.events.model import AGENT_EVENTS, TimedEvent, parse_frame
from netra_diag.latency.cell_values import as_data, as_number, as_text
from netra_diag.latency.phase_names import Phase
from netra_diag.latency.phase_scanner import EventInfo, PhaseScanner

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
    "clock_skew_ms",
    "at_least_ms",
)


_REQUIRED = ("cassette", "t_ms")


def _info_from_row(row: Mapping[str, Any], has: frozenset[str]) -> EventInfo:
    """Event details from ready columns (``events`` table, live runs) or by parsing ``text``."""
    if {"tool_name", "server_ts", "duration_s"} <= has:
        return EventInfo(
            as_text(row.get("run_id")),
            as_text(row.get("thread_id")),
            as_text(row.get("tool_name")),
            as_number(row.get("server_ts")),
            as_number(row.get("duration_s")),
        )
    text = row.get("text")
    if not isinstance(text, str) or not text:
        return EventInfo(as_text(row.get("run_id")), as_text(row.get("thread_id")))
    ev = parse_frame(text)
    duration = ev.duration_s
    ts = ev.timestamp
    return EventInfo(
        as_text(row.get("run_id")) or ev.run_id,
        as_text(row.get("thread_id")) or ev.thread_id,
        ev.tool_name,
        ts if ts is not None else math.nan,
        duration if duration is not None else math.nan,
    )


def _empty(labels: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in (*METRIC_COLUMNS, *labels)})
    for col in ("value_ms", "t_ms", "wall", "clock_skew_ms", "at_least_ms"):
        frame[col] = frame[col].astype("float64")
    frame["ok"] = frame["ok"].astype(bool)
    return frame


class _HasFrames(Protocol):
    @property
    def frames(self) -> pd.DataFrame: ...


def phase_metrics(frames_df: pd.DataFrame | _HasFrames) -> pd.DataFrame:
    """Per-phase latencies from a ``frames`` table (see the module docstring for phases and the
    exact output columns). Required input columns: ``cassette``, ``t_ms``; used when present:
    ``seq``, ``kind`` (default ``frame``), ``dir`` (default ``in``), ``wall``, ``type``,
    ``mark``, ``data``, ``text``, ``user``, ``run_id``, ``thread_id``, ``label_*``, and (as in
    the ``events`` table) ``tool_name``, ``server_ts``, ``duration_s``. The whole
    ``load_frames()`` result is accepted too (its ``frames`` table is used)."""
    if not isinstance(frames_df, pd.DataFrame):
        frames_df = frames_df.frames  # the whole load_frames() result was passed
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
    # One sort and one conversion for every cassette: done per cassette (a groupby, a sort and a
    # to_dict each), they took 2.7 s of a 3000-user run's 3.5 s.
    codes, cassettes = pd.factorize(frames_df["cassette"], use_na_sentinel=False)
    ordered = frames_df.assign(_cassette_code=codes).sort_values(
        ["_cassette_code", order], kind="stable"
    )
    code_order = ordered["_cassette_code"].to_numpy()
    if order == "seq":
        # One cassette loaded twice ("runs/ runs/*.jsonl") interleaves its records 0, 0, 1, 1…
        # and half its runs read as never finished: each record is kept once.
        seqs = ordered["seq"].to_numpy()
        again = (np.diff(code_order) == 0) & (np.diff(seqs) == 0)
        if again.any():
            keep = np.r_[True, ~again]
            ordered, code_order = ordered[keep], code_order[keep]
    ordered = ordered.drop(columns="_cassette_code")
    if not all(isinstance(c, str) for c in ordered.columns):
        ordered.columns = [str(c) for c in ordered.columns]
    records = cast(list[dict[str, Any]], ordered.to_dict("records"))  # columns made str above
    bounds = np.flatnonzero(np.diff(code_order)) + 1
    starts = [0, *bounds.tolist()]
    ends = [*bounds.tolist(), len(records)]
    for start, end in zip(starts, ends, strict=True):
        cassette = cassettes[code_order[start]]
        rows.extend(_scan(str(cassette), records[start:end], has, labels))
    if not rows:
        return _empty(labels)
    out = pd.DataFrame(rows, columns=[*METRIC_COLUMNS, *labels])
    out["value_ms"] = out["value_ms"].astype("float64")
    out["clock_skew_ms"] = out["clock_skew_ms"].astype("float64")
    out["at_least_ms"] = out["at_least_ms"].astype("float64")
    out["ok"] = out["ok"].astype(bool)
    return out


def _scan(
    cassette: str, records: list[dict[str, Any]], has: frozenset[str], labels: Sequence[str]
) -> list[dict[str, Any]]:
    marks = {str(r.get("mark")) for r in records if r.get("kind") == "mark"}
    trigger = "message_sent" if "message_sent" in marks else "run_start"
    if not marks & {"message_sent", "run_start"}:
        trigger = "frames"
    user = next((as_text(r.get("user")) for r in records if as_text(r.get("user"))), None)
    scanner = PhaseScanner(cassette, user, trigger, "ping_rtt" in marks)
    for rec in records:
        t = as_number(rec.get("t_ms"))
        if not math.isfinite(t):
            continue
        scanner.t, scanner.wall = t, as_number(rec.get("wall"))
        kind = rec.get("kind", "frame") if "kind" in has else "frame"
        if kind == "mark":
            scanner.mark(str(rec.get("mark") or ""), as_data(rec.get("data")))
            continue
        ftype = as_text(rec.get("type")) or ""
        direction = rec.get("dir", "in") if "dir" in has else "in"
        if direction == "out":
            scanner.frame_out(ftype)
            continue
        if not ftype and isinstance(rec.get("text"), str):
            ftype = parse_frame(rec["text"]).type
        needs_info = ftype in AGENT_EVENTS
        info = _info_from_row(rec, has) if needs_info else EventInfo()
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
        as_number(wall),
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
    user = user or as_text(getattr(run, "user_id", None)) or as_text(getattr(run, "user", None))
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
                "wall": as_number(te.wall),
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
