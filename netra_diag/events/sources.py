"""Event streams out of cassettes (docs/cassette-format.md) for checks, timelines and traces.

:func:`read_cassette` takes a cassette's text or lines and does no I/O: the line format is parsed by
:func:`netra_diag.recording_format.parse_lines`, the one parser of that format. Incoming frames
become :class:`~netra_diag.events.model.TimedEvent` s (``index`` is the position among incoming
frames, as :func:`netra_diag.recording.iter_timed_events` numbers them), marks become
:class:`~netra_diag.events.timeline.Mark` s, and outgoing frames become ``frame_out`` marks (their
type and thread in ``data``), which is what a timeline needs to see when a request was sent.

Damaged lines are reported as warnings and skipped; only a cassette without a header raises
:class:`~netra_diag.errors.RecordingError`. :func:`load_cassette_stream` and
:func:`timed_events_from_cassette` are the thin wrappers that open a path.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from netra_diag.errors import RecordingError
from netra_diag.events.model import Envelope, Event, TimedEvent, parse_frame
from netra_diag.events.rules.base import ContractConfig, ContractContext
from netra_diag.events.timeline import Mark
from netra_diag.recording_format import (
    CassetteHeader,
    FrameRecord,
    LineWarning,
    MarkRecord,
    parse_lines,
)
from netra_diag.recording_gzip import GZIP_MAGIC, gunzip_kept

__all__ = [
    "CassetteStream",
    "load_cassette_stream",
    "read_cassette",
    "stream_from_records",
    "timed_events_from_cassette",
]


@dataclass(frozen=True)
class CassetteStream:
    """What one cassette holds, ready for ``check_run``, ``build_timeline`` and ``build_trace``."""

    header: CassetteHeader
    events: tuple[TimedEvent, ...]
    marks: tuple[Mark, ...]
    warnings: tuple[str, ...] = ()
    source: str = "<cassette>"
    end: float | None = None  # the latest client time of any record
    labels: Mapping[str, str] = field(default_factory=dict)
    sizes: Mapping[int, int] = field(default_factory=dict)  # bytes on the wire, by event index

    @property
    def label(self) -> str:
        return Path(self.source).name or self.source

    @property
    def user(self) -> str | None:
        """The user this cassette's session was for (header ``user``), if recorded."""
        return self.header.user or None

    @property
    def threads(self) -> frozenset[str]:
        """The threads this session asked for (outgoing frames, ``run_start`` marks)."""
        found = set()
        for mark in self.marks:
            if mark.name in ("frame_out", "message_sent", "run_start"):
                thread = mark.data.get("thread_id")
                if isinstance(thread, str) and thread:
                    found.add(thread)
        return frozenset(found)

    def context(
        self, config: ContractConfig | None = None, *, isolation: bool = True
    ) -> ContractContext:
        """A contract context for this session. With ``isolation`` the header's user is the
        expected owner of every event (threads are not pinned: the server may assign them)."""
        return ContractContext(
            config=config or ContractConfig(),
            expected_user=self.user if isolation else None,
            session_end=self.end,
            marks=self.marks,
            frame_sizes=self.sizes,
        )


def _decode_b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _event(rec: FrameRecord) -> Event:
    if rec.truncated:
        # Only the head of a huge frame was kept: trust the type the recorder parsed at the time
        # rather than calling the server's frame invalid.
        fields = {
            k: v
            for k, v in (
                ("run_id", rec.run_id),
                ("thread_id", rec.thread_id),
                ("user_id", rec.user_id),
            )
            if v
        }
        problem = f"frame stored truncated in the cassette ({rec.size} bytes on the wire)"
        envelope = Envelope.PLAIN if rec.type else Envelope.INVALID
        return Event(rec.type, envelope, fields, rec.text or "", problem)
    if rec.text is not None:
        return parse_frame(rec.text)
    raw = _decode_b64(rec.b64) if rec.b64 is not None else None
    if raw is None:
        return Event("", Envelope.INVALID, {}, "", "frame stored without text or valid b64")
    return parse_frame(raw)


def _outgoing(rec: FrameRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"type": rec.type or None}
    try:
        frame = json.loads(rec.text) if rec.text is not None else None
    except (ValueError, RecursionError):
        return data
    if isinstance(frame, Mapping):
        data["type"] = frame.get("type", data["type"])
        for holder in (frame.get("payload"), frame):
            if isinstance(holder, Mapping) and isinstance(holder.get("thread_id"), str):
                data["thread_id"] = holder["thread_id"]
                break
    return data


def stream_from_records(
    header: CassetteHeader,
    records: Sequence[FrameRecord | MarkRecord],
    warnings: Iterable[LineWarning | str] = (),
    *,
    source: str = "<cassette>",
) -> CassetteStream:
    """Convert parsed cassette records (``recording_format.parse_lines`` or
    ``recording.load_cassette``) into a :class:`CassetteStream`."""
    events: list[TimedEvent] = []
    marks: list[Mark] = []
    sizes: dict[int, int] = {}
    latest: float | None = None
    for rec in records:
        t = rec.t_ns / 1e9
        latest = t if latest is None else max(latest, t)
        if isinstance(rec, MarkRecord):
            marks.append(Mark(rec.name, t, dict(rec.data), rec.wall))
        elif rec.dir == "in":
            sizes[len(events)] = rec.size
            events.append(TimedEvent(_event(rec), t, rec.wall, len(events)))
        else:
            marks.append(Mark("frame_out", t, _outgoing(rec), rec.wall))
    notes = tuple(f"{source}: {w}" for w in warnings)
    return CassetteStream(
        header, tuple(events), tuple(marks), notes, source, latest, dict(header.labels), sizes
    )


def read_cassette(
    lines: str | bytes | Iterable[str | bytes], *, source: str = "<cassette>"
) -> CassetteStream:
    """Parse a cassette given as its whole text or as lines (an open file works)."""
    items: Iterable[str | bytes]
    damage, count = "", 0
    if isinstance(lines, bytes):
        if lines.startswith(GZIP_MAGIC):  # a cassette kept compressed (run.jsonl.gz)
            lines, damage = gunzip_kept(lines)
        # Split on LF only: str.splitlines would also cut at U+2028 and friends inside a string.
        items = lines.split(b"\n")
        count = len(items)
    elif isinstance(lines, str):
        items = lines.split("\n")
    else:
        items = lines
    header, records, warnings = parse_lines(items)
    if damage:
        warnings.append(LineWarning(count, damage))
    if header is None:
        first = str(warnings[0]) if warnings else "empty input"
        raise RecordingError(source, f"not a cassette: no header on line 1 ({first})", line=1)
    return stream_from_records(header, records, warnings, source=source)


def load_cassette_stream(path: str | PathLike[str]) -> CassetteStream:
    """Open and parse one cassette file (a truncated last line is a warning, as everywhere)."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RecordingError(name, f"cannot read: {exc.strerror or exc}") from exc
    return read_cassette(raw, source=name)


def timed_events_from_cassette(path: str | PathLike[str]) -> list[TimedEvent]:
    """The incoming events of one cassette file, in arrival order."""
    return list(load_cassette_stream(path).events)
