"""Cassettes as tables: the rows behind ``recording.load_frames``'s DataFrames, with the stable
column sets documented in docs/cassette-format.md. Pure: no files, no pandas import here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netra_diag.events.model import Envelope, Event, parse_frame
from netra_diag.recording_format import CassetteHeader, FrameRecord, MarkRecord

__all__ = [
    "EVENT_COLUMNS",
    "FRAME_COLUMNS",
    "RUN_COLUMNS",
    "cassette_rows",
    "event_from_record",
]

FRAME_COLUMNS: tuple[str, ...] = (
    "cassette",
    "user",
    "seq",
    "kind",
    "dir",
    "t_ms",
    "wall",
    "size",
    "type",
    "run_id",
    "thread_id",
    "user_id",
    "mark",
    "data",
    "text",
)
EVENT_COLUMNS: tuple[str, ...] = (
    "cassette",
    "user",
    "seq",
    "t_ms",
    "wall",
    "type",
    "envelope",
    "kind",
    "run_id",
    "thread_id",
    "user_id",
    "tool_name",
    "server_ts",
    "duration_s",
    "size",
)
RUN_COLUMNS: tuple[str, ...] = (
    "cassette",
    "user",
    "run_id",
    "thread_id",
    "start_ms",
    "first_event_ms",
    "end_ms",
    "n_events",
    "terminal",
    "outcome",
)


def event_from_record(rec: FrameRecord) -> Event:
    """The ``Event`` a frame line holds (parsed from its text; from the line's own fields when
    only a head of an oversized frame, or a binary frame, was kept)."""
    text = rec.text if rec.text is not None else ""
    if rec.truncated or rec.text is None:
        # Only a head of an oversized (or binary) frame was kept; keep what the line itself says.
        fields = {
            k: v
            for k, v in (
                ("type", rec.type),
                ("run_id", rec.run_id),
                ("thread_id", rec.thread_id),
                ("user_id", rec.user_id),
            )
            if v
        }
        envelope = Envelope.PLAIN if rec.type else Envelope.INVALID
        problem = "frame stored truncated in the cassette" if rec.truncated else "binary frame"
        return Event(rec.type, envelope, fields, text, problem)
    return parse_frame(text)


def cassette_rows(
    name: str, header: CassetteHeader, records: Sequence[FrameRecord | MarkRecord]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for the ``frames``, ``events`` and ``runs`` tables of one cassette."""
    user = header.user
    frame_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    labels = {f"label_{k}": v for k, v in header.labels.items()}
    for seq, rec in enumerate(records):
        t_ms = rec.t_ns / 1e6
        if isinstance(rec, FrameRecord):
            frame_rows.append(
                {
                    "cassette": name,
                    "user": user,
                    "seq": seq,
                    "kind": "frame",
                    "dir": rec.dir,
                    "t_ms": t_ms,
                    "wall": rec.wall,
                    "size": rec.size,
                    "type": rec.type,
                    "run_id": rec.run_id,
                    "thread_id": rec.thread_id,
                    "user_id": rec.user_id,
                    "mark": None,
                    "data": None,
                    "text": rec.text,
                    **labels,
                }
            )
            if rec.dir == "in":
                ev = event_from_record(rec)
                event_rows.append(
                    {
                        "cassette": name,
                        "user": user,
                        "seq": seq,
                        "t_ms": t_ms,
                        "wall": rec.wall,
                        "type": ev.type,
                        "envelope": str(ev.envelope),
                        "kind": str(ev.kind),
                        "run_id": ev.run_id,
                        "thread_id": ev.thread_id,
                        "user_id": ev.user_id,
                        "tool_name": ev.tool_name,
                        "server_ts": ev.timestamp,
                        "duration_s": ev.duration_s,
                        "size": rec.size,
                    }
                )
        else:
            frame_rows.append(
                {
                    "cassette": name,
                    "user": user,
                    "seq": seq,
                    "kind": "mark",
                    "dir": None,
                    "t_ms": t_ms,
                    "wall": rec.wall,
                    "size": None,
                    "type": None,
                    "run_id": _str_or_none(rec.data.get("run_id")),
                    "thread_id": _str_or_none(rec.data.get("thread_id")),
                    "user_id": None,
                    "mark": rec.name,
                    "data": dict(rec.data),
                    "text": None,
                    **labels,
                }
            )
    return frame_rows, event_rows, _run_rows(name, user, records, event_rows)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


_AGENT_KINDS = ("agent", "error")


def _run_rows(
    name: str,
    user: str | None,
    records: Sequence[FrameRecord | MarkRecord],
    event_rows: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Runs from ``run_start``/``run_end`` marks; without them, grouped by thread/run id."""
    runs: list[dict[str, Any]] = []
    if any(isinstance(r, MarkRecord) and r.name == "run_start" for r in records):
        open_run: dict[str, Any] | None = None
        for rec in records:
            if isinstance(rec, MarkRecord) and rec.name == "run_start":
                if open_run is not None:
                    runs.append(open_run)
                open_run = {
                    "cassette": name,
                    "user": user,
                    "run_id": _str_or_none(rec.data.get("run_id")),
                    "thread_id": _str_or_none(rec.data.get("thread_id")),
                    "start_ms": rec.t_ns / 1e6,
                    "first_event_ms": None,
                    "end_ms": None,
                    "n_events": 0,
                    "terminal": None,
                    "outcome": None,
                }
            elif open_run is None:
                continue
            elif isinstance(rec, MarkRecord) and rec.name == "run_end":
                for key in ("run_id", "thread_id"):
                    if rec.data.get(key) is not None:
                        open_run[key] = str(rec.data[key])
                open_run["end_ms"] = rec.t_ns / 1e6
                open_run["outcome"] = _str_or_none(rec.data.get("outcome"))
                terminal = rec.data.get("terminal")
                if terminal is not None:
                    open_run["terminal"] = str(terminal)
                runs.append(open_run)
                open_run = None
            elif isinstance(rec, FrameRecord) and rec.dir == "in":
                ev = event_from_record(rec)
                if str(ev.kind) in _AGENT_KINDS:
                    open_run["n_events"] += 1
                    if open_run["first_event_ms"] is None:
                        open_run["first_event_ms"] = rec.t_ns / 1e6
                    if ev.is_terminal:
                        open_run["terminal"] = ev.type
        if open_run is not None:
            open_run["outcome"] = "unfinished"
            runs.append(open_run)
        return runs
    groups: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in event_rows:
        if row["kind"] not in _AGENT_KINDS:
            continue
        if row["kind"] == "error" and not (row["run_id"] or row["thread_id"]):
            # An error of the connection, not of a run (AUTH_FAILED before any message): a
            # session refused at connect has no run to show.
            continue
        group_key = (row["thread_id"], row["run_id"]) if row["thread_id"] else (None, row["run_id"])
        grp = groups.get(group_key)
        if grp is None:
            grp = groups[group_key] = {
                "cassette": name,
                "user": user,
                "run_id": row["run_id"],
                "thread_id": row["thread_id"],
                "start_ms": row["t_ms"],
                "first_event_ms": row["t_ms"],
                "end_ms": row["t_ms"],
                "n_events": 0,
                "terminal": None,
                "outcome": None,
            }
        grp["n_events"] += 1
        grp["end_ms"] = row["t_ms"]
        if row["type"] in ("agent_completed", "final_report", "agent_error"):
            grp["terminal"] = row["type"]
            grp["outcome"] = "agent_error" if row["type"] == "agent_error" else "completed"
    return list(groups.values())
