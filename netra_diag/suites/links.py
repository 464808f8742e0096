"""Link test results to the session recordings (cassettes) the pytest plugin wrote.

A cassette's header ``labels`` carry ``nodeid`` and ``outcome`` (docs/cassette-format.md); the
plugin also leaves ``<name>.outcome.json`` next to it. For each recording this module keeps what
triage shows: frames and events seen, the close, whether auth was bypassed (a
``connection_established`` whose server user id is synthetic, PROTOCOL.md §2 "Permissive auth"),
and, when ``netra_diag.events.contracts`` is available, its contract findings.

The cassette reader here is deliberately small (header + records, bad lines skipped with a
warning): triage only needs counts and marks, and must not fail on a recording cut short.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netra_diag.closecodes import (
    AUTH_REFUSED_STATUSES,
    AUTH_STAGE_CLOSE_CODES,
)
from netra_diag.events.model import CRITICAL_EVENTS, TERMINAL_EVENTS, TimedEvent, parse_frame
from netra_diag.suites.link_match import PENDING, link_recordings
from netra_diag.suites.link_timeline import Timeline, at
from netra_diag.suites.merge import require_directory
from netra_diag.suites.model import nodeid_to_test_id
from netra_diag.synthetic_users import SYNTHETIC_USER, SYNTHETIC_USER_IN_TEXT, is_synthetic_user

__all__ = [
    "BYPASS_USER",
    "BYPASS_USER_IN_TEXT",
    "Recording",
    "find_recordings",
    "is_bypass_user",
    "link_recordings",
    "read_cassette",
    "sanitise_nodeid",
]

# The synthetic user ids of permissive auth (PROTOCOL.md §2), whole or within text: defined once,
# in netra_diag.synthetic_users, for the live client too.
BYPASS_USER = SYNTHETIC_USER
BYPASS_USER_IN_TEXT = SYNTHETIC_USER_IN_TEXT
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")


is_bypass_user = is_synthetic_user


def sanitise_nodeid(nodeid: str) -> str:
    """A file-name-safe stem for a node id (``tests/a.py::T::t[x]`` -> ``tests_a.py__T__t[x]``).

    Two tests must not share a stem (the second would overwrite the first's cassette): a node
    id cut to length, or whose parameters lost characters (``t[a b]`` and ``t[a_b]``), ends
    with a digest of the whole id."""
    stem = _UNSAFE.sub("_", nodeid.replace("::", "__")).strip("._")
    bracket = nodeid.find("[")
    params = nodeid[bracket:] if bracket >= 0 else ""
    if len(stem) > 180 or (params and _UNSAFE.search(params)):
        digest = hashlib.sha256(nodeid.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem[:160]}-{digest}"
    return stem or "unnamed"


@dataclass(frozen=True)
class Recording:
    """What one cassette shows, in the terms triage reports."""

    path: str
    nodeid: str = ""
    outcome: str = ""
    frames_in: int = 0
    frames_out: int = 0
    event_types: Mapping[str, int] = field(default_factory=dict)
    marks: tuple[str, ...] = ()
    close_code: int | None = None
    close_reason: str = ""
    server_user: str = ""
    contract_findings: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    http_status: int | None = None  # the status a rejected upgrade answered (403, 503, ...)
    run: str = ""  # the pytest run that recorded it (label ``run``, sortable by its start time)
    readable: bool = True  # False: no header and no record could be read (empty, cut, garbage)
    # What came in what order and when (``link_timeline``): where a failing session stopped.
    timeline: str = ""
    close_at: float | None = None  # seconds from the session's start

    @property
    def test_id(self) -> str:
        return nodeid_to_test_id(self.nodeid) if self.nodeid else ""

    @property
    def frames(self) -> int:
        return self.frames_in + self.frames_out

    @property
    def zero_frames(self) -> bool:
        """The session received and sent nothing; not said of a file nothing could be read
        from, which says nothing of the session."""
        return self.frames == 0 and self.readable

    @property
    def auth_bypass(self) -> bool:
        return is_bypass_user(self.server_user)

    @property
    def killed(self) -> bool:
        """Still labelled ``pending``: the plugin labels a cassette once its test's teardown is
        over, so the process running the test died first (a timeout's ``thread`` method, a
        crashed xdist worker, a CI job killed)."""
        return self.outcome == PENDING

    @property
    def critical_seen(self) -> tuple[str, ...]:
        return tuple(e for e in CRITICAL_EVENTS if self.event_types.get(e))

    def phase_reached(self) -> str | None:
        """The phase a failing session stopped in, or None if the recording cannot tell."""
        if not self.readable:
            return None
        if self.http_status in AUTH_REFUSED_STATUSES:
            return "auth"  # (the upgrade was refused for its credentials)
        if "upgrade_done" not in self.marks and self.frames_in == 0:
            return "connect"
        auth_trouble = self.close_code in AUTH_STAGE_CLOSE_CODES or self.event_types.get(
            "error_message"
        )
        if auth_trouble and not self.critical_seen:
            return "auth"
        if not self.critical_seen:
            return "first event"
        if self.event_types.get("tool_executing", 0) > self.event_types.get("tool_completed", 0):
            return "tool"
        if not any(self.event_types.get(t) for t in TERMINAL_EVENTS):
            return "completion"
        return None

    def summary(self) -> str:
        parts = [f"{self.frames_in} in / {self.frames_out} out frames"]
        if self.timeline:
            parts.append(self.timeline)
        elif self.event_types:
            top = ", ".join(f"{t}×{n}" for t, n in sorted(self.event_types.items())[:6])
            parts.append(top)
        if self.close_code is not None:
            parts.append(
                f"closed {self.close_code}"
                + (f" {self.close_reason}" if self.close_reason else "")
                + (f" {at(self.close_at)}" if self.close_at is not None and self.timeline else "")
            )
        if self.auth_bypass:
            parts.append(f"AUTH BYPASS (server user {self.server_user})")
        if self.zero_frames:
            parts.append("ZERO FRAMES")
        if not self.readable:
            parts.append("UNREADABLE: nothing in it could be read (see Warnings)")
        if self.killed:
            parts.append("CUT SHORT: the test never finished (process killed?)")
        return "; ".join(parts)


def read_cassette(
    path: str | os.PathLike[str],
) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
    """``(header, records, warnings)`` of one cassette; bad lines are skipped with a warning."""
    p = os.fspath(path)
    header: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    try:
        fh = open(p, encoding="utf-8", errors="replace")  # noqa: SIM115 - closed below
    except OSError as exc:
        return header, records, [f"{p}: cannot open: {exc.strerror or exc}"]
    with fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                warnings.append(f"{p}:{number}: not JSON (truncated line?), skipped")
                continue
            if not isinstance(obj, dict):
                warnings.append(f"{p}:{number}: not a JSON object, skipped")
            elif obj.get("kind") == "header" and not header and not records:
                header = obj
            else:
                records.append(obj)
    if not header:
        empty = not records and not warnings
        warnings.append(f"{p}: empty file" if empty else f"{p}:1: no cassette header")
    return header, records, warnings


def _summarise(path: Path, sidecar: Mapping[str, str] | None) -> Recording:
    header, records, warnings = read_cassette(path)
    labels = header.get("labels") if isinstance(header.get("labels"), dict) else {}
    assert isinstance(labels, dict)
    nodeid = str(labels.get("nodeid") or (sidecar or {}).get("nodeid") or "")
    outcome = str(labels.get("outcome") or (sidecar or {}).get("outcome") or "")
    run = str(labels.get("run") or "")
    frames_in = frames_out = 0
    types: Counter[str] = Counter()
    marks: list[str] = []
    close_code: int | None = None
    close_reason = ""
    server_user = ""
    http_status: int | None = None
    timed: list[TimedEvent] = []
    steps = Timeline()
    close_at: float | None = None
    for rec in records:
        kind = rec.get("kind")
        t_rec = rec.get("t_ns")
        at = t_rec / 1e9 if isinstance(t_rec, int | float) else 0.0
        if kind == "frame":
            etype = rec.get("type")
            typed = isinstance(etype, str) and bool(etype)
            if rec.get("dir") == "out":
                frames_out += 1
                if typed:
                    steps.sent(str(etype), at)
                continue
            frames_in += 1
            if typed:
                types[str(etype)] += 1
                steps.received(str(etype), at)
            if isinstance(rec.get("text"), str):
                t_ns = rec.get("t_ns")
                wall = rec.get("wall")
                timed.append(
                    TimedEvent(
                        parse_frame(rec["text"]),
                        t=t_ns / 1e9 if isinstance(t_ns, int | float) else 0.0,
                        wall=float(wall) if isinstance(wall, int | float) else None,
                        index=len(timed),
                    )
                )
        elif kind == "mark":
            name = str(rec.get("name", ""))
            marks.append(name)
            data = rec.get("data") if isinstance(rec.get("data"), dict) else {}
            assert isinstance(data, dict)
            if name == "close":
                code = data.get("code")
                close_code = code if isinstance(code, int) else close_code
                close_reason = str(data.get("reason") or "")
                close_at = at
            elif name == "handshake_rejected":
                status = data.get("status")
                http_status = status if isinstance(status, int) else http_status
            elif name == "connection_established":
                user = data.get("user_id") or data.get("user") or data.get("server_user_id")
                server_user = str(user or "")
            elif (
                name == "transport_attempt" and data.get("outcome") == "bypass" and not server_user
            ):
                server_user = str(data.get("server_user_id") or "demo-user-001")
    if server_user and not BYPASS_USER.match(server_user):
        for te in timed:  # events carry the full id the mark truncated
            uid = te.event.user_id
            if uid and BYPASS_USER.match(uid):
                server_user = uid
                break
    return Recording(
        path=str(path),
        nodeid=nodeid,
        outcome=outcome,
        frames_in=frames_in,
        frames_out=frames_out,
        event_types=dict(types),
        marks=tuple(marks),
        close_code=close_code,
        close_reason=close_reason,
        server_user=server_user,
        contract_findings=_contract_findings(timed),
        warnings=tuple(warnings),
        http_status=http_status,
        run=run,
        readable=bool(header or records),
        timeline=steps.text(),
        close_at=close_at,
    )


def _contract_findings(events: list[TimedEvent]) -> tuple[str, ...]:
    if not events:
        return ()
    try:  # contracts are optional: triage works without them
        from netra_diag.events.contracts import check_run
    except ImportError:
        return ()
    try:
        report = check_run(events)
    except Exception as exc:  # a checker bug must not hide the triage
        return (f"contract check failed: {type(exc).__name__}",)
    errors = [str(getattr(f, "message", f)) for f in getattr(report, "errors", ()) or ()]
    verdict = str(report)
    # The verdict quotes the worst finding already: the others follow it, each once.
    others = [message for message in errors if message not in verdict]
    return (verdict, *others[:4])


_NTH_SESSION = re.compile(r"^(?P<stem>.*)\.(?P<n>\d+)\.jsonl$")


def _session_order(path: Path) -> tuple[str, str, int]:
    """A test's cassettes in the order it opened its sessions: ``t.jsonl``, ``t.1.jsonl``, ...
    ``t.10.jsonl`` (by name, ``t.1`` came first and ``t.10`` before ``t.2``)."""
    m = _NTH_SESSION.match(path.name)
    if m:
        return str(path.parent), m.group("stem"), int(m.group("n"))
    return str(path.parent), path.name.removesuffix(".jsonl"), 0


def find_recordings(
    directory: str | os.PathLike[str], on_file: Callable[[Path], None] | None = None
) -> dict[str, list[Recording]]:
    """Every cassette under ``directory``, grouped by the ``test_id`` of the test that made it.

    ``on_file`` is told of each cassette before it is read (a progress bar: checking the event
    contract of long recordings takes a second for every few).

    Cassettes without a node id (neither in labels nor in an ``.outcome.json`` with the same
    stem) are grouped under ``""``. A ``directory`` that is not one raises ``ReportParseError``.
    """
    root = require_directory(directory, "recordings")
    sidecars: dict[str, dict[str, str]] = {}
    for side in root.rglob("*.outcome.json"):
        try:
            data = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            sidecars[side.name.removesuffix(".outcome.json")] = {k: str(v) for k, v in data.items()}
    out: dict[str, list[Recording]] = {}
    for path in sorted(root.rglob("*.jsonl"), key=_session_order):
        if on_file is not None:
            on_file(path)
        stem = path.name.removesuffix(".jsonl")
        sidecar = sidecars.get(stem) or sidecars.get(stem.rsplit(".", 1)[0])
        rec = _summarise(path, sidecar)
        out.setdefault(rec.test_id, []).append(rec)
    return out
