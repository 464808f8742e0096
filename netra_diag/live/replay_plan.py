"""What a replay must do, worked out from a cassette before any socket opens (no I/O, no clock).

A cassette holds one connection per opening handshake (docs/cassette-format.md, "Replay"): a new
one starts at each ``connect_start`` mark, or, in cassettes without those marks, at a second
``upgrade_done`` / ``handshake_rejected``. Each becomes a :class:`ConnectionPlan` whose ``answer``
is what the recorded server did with the upgrade request:

- ``upgrade``: accepted it (``upgrade_done``, or frames without any mark). Its incoming frames
  are played in *segments*: segment 0 (what the server sent before the client's first message)
  timed from ``upgrade_done``; then, for each message the client sent in the recording, the frames
  that followed it, timed from that ``out`` frame. Client pings, pongs and heartbeat answers start
  no segment: they are sent on the client's own schedule, not in answer to the agent. The
  connection ends as its ``close`` mark says;
- ``reject``: refused it (``handshake_rejected``): the recorded HTTP status, body and headers;
- ``drop``: never answered (``connect_start`` then ``error``: connection refused, open timeout):
  the replay drops the TCP connection before answering.

A session on the ticket transport asks for a single-use ticket (``POST /api/websocket/ticket``,
PROTOCOL.md §2) before each upgrade. The cassette records each such request (``ticket_issued``,
``ticket_rejected``, or an ``error`` mark when there was no HTTP answer) but never the ticket: it
becomes a :class:`TicketPlan`, in order, kept apart from the connections (an attempt refused at
the ticket request never reaches an upgrade).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from netra_diag.live.replay_http_plan import (
    TicketPlan,
    plan_tickets,
    recorded_int,
    recorded_refusal,
)
from netra_diag.recording_format import FrameRecord, MarkRecord
from netra_diag.wording import plural

__all__ = [
    "UNPROMPTED_CLIENT_TYPES",
    "Answer",
    "ConnectionPlan",
    "ReplayPlan",
    "ReplayStep",
    "TicketPlan",
    "client_type",
    "plan_replay",
]

Answer = Literal["upgrade", "reject", "drop"]
Record = FrameRecord | MarkRecord

# Client frames sent on the client's own clock, not as a request the agent answers.
UNPROMPTED_CLIENT_TYPES = frozenset({"ping", "pong", "heartbeat", "heartbeat_ack"})
# Marks carrying the server's answer to one upgrade request.
_ANSWER_MARKS = frozenset({"upgrade_done", "handshake_rejected"})


@dataclass(frozen=True, slots=True)
class ReplayStep:
    """One thing to do at ``offset_s`` after the segment's anchor: send a frame, or close."""

    offset_s: float
    action: Literal["send", "close"]
    text: str | None = None
    data: bytes | None = None
    code: int | None = None
    reason: str = ""
    type: str = ""


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """One recorded connection (see the module docstring for ``answer``).

    ``segments[0]`` is timed from the upgrade, ``segments[k]`` from the client's k-th message;
    ``subprotocol`` is the (redacted) subprotocol the recorded server selected, if any;
    ``close_by_client``: the recorded close was the client's, so the replay waits for the
    client's. ``status``, ``body``, ``headers``: the recorded refusal (``reject`` only)."""

    answer: Answer = "upgrade"
    segments: tuple[tuple[ReplayStep, ...], ...] = ((),)
    subprotocol: str | None = None
    close_by_client: bool = False
    status: int | None = None
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def n_frames(self) -> int:
        return sum(1 for seg in self.segments for s in seg if s.action == "send")

    @property
    def n_client_messages(self) -> int:
        return len(self.segments) - 1

    @property
    def duration_s(self) -> float:
        """Playing time if the client answers instantly (the sum of each segment's last offset)."""
        return sum(seg[-1].offset_s for seg in self.segments if seg)

    @property
    def close(self) -> ReplayStep | None:
        """The recorded server close, if the connection ends with one."""
        last = self.segments[-1][-1] if self.segments and self.segments[-1] else None
        return last if last is not None and last.action == "close" else None

    def describe(self) -> str:
        """One line for a person: what this connection will do."""
        if self.answer == "reject":
            return f"refuses the upgrade with HTTP {self.status}"
        if self.answer == "drop":
            return "drops the TCP connection before answering (no HTTP answer was recorded)"
        close = self.close
        if close is not None:
            code = close.code
            if code is None or code in (1006, 1015):
                ends = f"drops the TCP connection ({code or 1006}, no close frame)"
            else:
                ends = f"closes {code}"
        elif self.close_by_client:
            ends = "waits for the client to close, as recorded"
        else:
            ends = "stays open until the client closes (no close recorded)"
        return (
            f"{plural(self.n_frames, 'frame')}, "
            f"{plural(self.n_client_messages, 'client message')}, "
            f"{self.duration_s:.3f} s at speed 1, then {ends}"
        )


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """A cassette turned into what the server must do: one :class:`ConnectionPlan` per recorded
    connection, in order. ``segments``, ``subprotocol`` and ``close_by_client`` are the first
    connection's; the counts and ``duration_s`` add up every connection. ``tickets``: the
    recorded ticket requests, in order. A cassette whose only attempt was refused at its ticket
    request holds no connection."""

    connections: tuple[ConnectionPlan, ...] = (ConnectionPlan(),)
    warnings: tuple[str, ...] = ()
    tickets: tuple[TicketPlan, ...] = ()
    # The cassette header's endpoint and user: what the recorded session asked for and was.
    endpoint: str = ""
    user: str | None = None
    started_wall: float | None = None

    @property
    def _first(self) -> ConnectionPlan:
        return self.connections[0] if self.connections else ConnectionPlan()

    @property
    def segments(self) -> tuple[tuple[ReplayStep, ...], ...]:
        return self._first.segments

    @property
    def subprotocol(self) -> str | None:
        return self._first.subprotocol

    @property
    def close_by_client(self) -> bool:
        return self._first.close_by_client

    @property
    def n_connections(self) -> int:
        return len(self.connections)

    @property
    def n_tickets(self) -> int:
        return len(self.tickets)

    @property
    def n_frames(self) -> int:
        return sum(c.n_frames for c in self.connections)

    @property
    def n_client_messages(self) -> int:
        return sum(c.n_client_messages for c in self.connections)

    @property
    def duration_s(self) -> float:
        return sum(c.duration_s for c in self.connections)

    def with_warnings(self, first: Sequence[str]) -> ReplayPlan:
        return replace(self, warnings=(*first, *self.warnings))


def client_type(text: str | bytes) -> str:
    """The ``type`` of a client frame ("" when it has none or is not a JSON object)."""
    if isinstance(text, bytes):
        return ""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        return ""
    return str(obj.get("type") or "") if isinstance(obj, dict) else ""


def _is_primary_out(frame: FrameRecord) -> bool:
    if frame.type in UNPROMPTED_CLIENT_TYPES:
        return False
    if frame.text is None:
        return True
    return client_type(frame.text) not in UNPROMPTED_CLIENT_TYPES


def _close_by_client(data: Mapping[str, Any]) -> bool:
    """Whether the recorded close was started by the client (then the replay waits for the
    client's close instead of closing on its own)."""
    for key in ("initiated_by", "initiator", "by", "side"):
        value = data.get(key)
        if isinstance(value, str):
            return value.lower() in ("client", "local", "us", "self")
    return data.get("by_client") is True or data.get("local") is True


def _split_connections(ordered: Sequence[Record]) -> list[list[Record]]:
    """Records grouped by connection. Connections are taken one after another: everything from
    one ``connect_start`` to the next belongs to the first. A session reads one socket at a
    time, so no frame of an earlier socket follows the next ``connect_start`` (its ``close``
    mark can, when noticed late: ``_plan_upgrade`` skips a close before its own upgrade)."""
    groups: list[list[Record]] = [[]]
    started = answered = False
    for rec in ordered:
        if isinstance(rec, MarkRecord):
            name = rec.name
            if (name == "connect_start" and started) or (name in _ANSWER_MARKS and answered):
                groups.append([])
                started = answered = False
            if name == "connect_start" or name in _ANSWER_MARKS:
                started = True
            answered = answered or name in _ANSWER_MARKS
        else:
            started = True
        groups[-1].append(rec)
    return groups


def plan_replay(records: Sequence[Record]) -> ReplayPlan:
    """Turn cassette records into a :class:`ReplayPlan`. Pure; never raises on odd cassettes
    (frames before the upgrade, no marks at all): anything unplayable becomes a warning."""
    ordered = sorted(records, key=lambda r: (r.t_ns, r.lineno))
    warnings: list[str] = []
    tickets = plan_tickets(ordered, warnings)
    groups = _split_connections(ordered)
    if (len(groups) > 1 or tickets) and not _holds_connection(groups[0]):
        # Only the first group can lack a connect_start: marks of a ticket request refused (or
        # unanswered) before any upgrade was attempted are no connection to replay.
        groups = groups[1:]
    connections: list[ConnectionPlan] = []
    for number, group in enumerate(groups, start=1):
        own: list[str] = []
        connections.append(_plan_connection(group, own))
        prefix = f"connection {number}: " if len(groups) > 1 else ""
        warnings.extend(prefix + w for w in own)
    return ReplayPlan(connections=tuple(connections), warnings=tuple(warnings), tickets=tickets)


def _holds_connection(group: Sequence[Record]) -> bool:
    return any(
        isinstance(r, FrameRecord) or r.name == "connect_start" or r.name in _ANSWER_MARKS
        for r in group
    )


def _plan_connection(group: Sequence[Record], warnings: list[str]) -> ConnectionPlan:
    marks = [r for r in group if isinstance(r, MarkRecord)]
    answer = next((m for m in marks if m.name in _ANSWER_MARKS), None)
    if answer is not None and answer.name == "handshake_rejected":
        return _plan_rejection(answer, warnings)
    attempted = any(m.name == "connect_start" for m in marks)
    if answer is None and attempted and not any(isinstance(r, FrameRecord) for r in group):
        if not any(m.name == "error" for m in marks):
            warnings.append("no answer to the upgrade recorded: the replay drops it")
        return ConnectionPlan(answer="drop")
    return _plan_upgrade(group, answer, warnings)


def _plan_rejection(mark: MarkRecord, warnings: list[str]) -> ConnectionPlan:
    refusal = recorded_refusal(mark, warnings)
    if refusal is None:
        return ConnectionPlan(answer="drop")
    status, body, headers = refusal
    return ConnectionPlan(answer="reject", status=status, body=body, headers=headers)


def _plan_upgrade(
    group: Sequence[Record], answer: MarkRecord | None, warnings: list[str]
) -> ConnectionPlan:
    subprotocol: str | None = None
    if answer is not None:
        anchor_ns = answer.t_ns
        value = answer.data.get("subprotocol", answer.data.get("selected_subprotocol"))
        subprotocol = str(value) if value else None
    else:
        starts = [r.t_ns for r in group if isinstance(r, MarkRecord) and r.name == "connect_start"]
        anchor_ns = starts[0] if starts else (group[0].t_ns if group else 0)
        warnings.append(
            "no upgrade_done mark: frames are timed from connect_start, else from the first record"
        )

    segments: list[list[ReplayStep]] = [[]]
    close_by_client = False
    closed = False
    upgraded = answer is None
    for rec in group:
        if closed:
            break  # what follows a close (reconnect marks) is not this connection's
        upgraded = upgraded or rec is answer
        if isinstance(rec, FrameRecord):
            if rec.dir == "out":
                if _is_primary_out(rec):
                    anchor_ns = rec.t_ns
                    segments.append([])
                continue
            step = _send_step(rec, max(0.0, (rec.t_ns - anchor_ns) / 1e9), warnings)
            if step is not None:
                segments[-1].append(step)
        elif rec.name == "close" and upgraded:
            # (A close before this connection's upgrade is the previous socket's, noticed late.)
            code = recorded_int(rec.data.get("code"))
            reason = rec.data.get("reason")
            close_by_client = _close_by_client(rec.data)
            if not close_by_client:
                offset = max(0.0, (rec.t_ns - anchor_ns) / 1e9)
                text = reason if isinstance(reason, str) else ""
                segments[-1].append(ReplayStep(offset, "close", code=code, reason=text))
            closed = True
    if not closed:
        warnings.append("no close mark: the replay stays open until the client closes")
    return ConnectionPlan(
        answer="upgrade",
        segments=tuple(tuple(seg) for seg in segments),
        subprotocol=subprotocol,
        close_by_client=close_by_client,
    )


def _send_step(rec: FrameRecord, offset: float, warnings: list[str]) -> ReplayStep | None:
    if rec.truncated:
        warnings.append(
            f"line {rec.lineno}: frame was stored truncated ({rec.size} bytes); "
            "the stored head is sent instead"
        )
    if rec.text is not None:
        return ReplayStep(offset, "send", text=rec.text, type=rec.type)
    try:
        payload = base64.b64decode(rec.b64 or "", validate=True)
    except ValueError:
        warnings.append(f"line {rec.lineno}: binary frame with bad base64; skipped")
        return None
    return ReplayStep(offset, "send", data=payload, type=rec.type)
