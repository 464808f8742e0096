"""Cassettes: writing, redaction, loading (truncated and garbled lines), DataFrames."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from timeouts import TIMEOUT_FACTOR

from netra_diag.emulator import AuthMode, EmulatorConfig, TimingProfile, run_service
from netra_diag.errors import RecordingError
from netra_diag.live import RunOutcome, Session
from netra_diag.recording import (
    EVENT_COLUMNS,
    FRAME_COLUMNS,
    RUN_COLUMNS,
    Recorder,
    iter_timed_events,
    load_cassette,
    load_frames,
)
from netra_diag.recording_format import (
    MAX_TEXT_BYTES,
    FrameRecord,
    MarkRecord,
    redact_headers,
    redact_subprotocol,
    redact_url,
)
from netra_diag.redaction import fingerprint
from netra_diag.tokens import LOCAL_DEV_SECRET, encode_subprotocol_token, mint_token

JWT_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{6,}|ZXlK[A-Za-z0-9_-]{6,}")


def token() -> str:
    return mint_token("user-rec-1", key=LOCAL_DEV_SECRET, now=time.time())


def new_recorder(path: Path, tok: str | None = None, **kw: object) -> Recorder:
    return Recorder(
        path,
        endpoint="ws://127.0.0.1:9/ws",
        transport="header",
        token=tok,
        user="user-rec-1",
        started_wall=1_700_000_000.0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "module",
    [
        "netra_diag.recording_format",
        "netra_diag.recording_lines",
        "netra_diag.recording_redaction",
        "netra_diag.recording_tables",
        "netra_diag.recording_reservations",
        "netra_diag.closecodes",
        "netra_diag.recording",
        "netra_diag.recording_writer",
    ],
)
def test_cassette_modules_stay_out_of_io_layers(module: str) -> None:
    code = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "print(','.join(m for m in ('websockets', 'asyncio', 'pandas', 'plotly') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    frame = {"type": "agent_started", "run_id": "r1", "thread_id": "t1", "user_id": "u1"}
    with new_recorder(path, labels={"nodeid": "tests/x.py::y"}) as rec:
        rec.mark("connect_start", t_ns=10, wall=1.5, data={"transport": "header"})
        rec.frame("out", '{"type": "user_message"}', t_ns=20, wall=1.6)
        rec.frame("in", json.dumps(frame), t_ns=3_000_000, wall=1.7)
        rec.frame("in", b"\x00\x01binary", t_ns=4_000_000, wall=1.8)
        assert rec.lines_written == 5
    rec.frame("in", "{}", t_ns=1, wall=1.0)  # after close: a no-op, not an error
    cas = load_cassette(path)
    assert cas.warnings == ()
    assert cas.header.user == "user-rec-1" and cas.header.transport == "header"
    assert cas.header.labels == {"nodeid": "tests/x.py::y"}
    assert cas.header.version == 1 and cas.header.started_wall == 1_700_000_000.0
    mark, out, inc, binary = cas.records
    assert isinstance(mark, MarkRecord) and mark.name == "connect_start"
    assert mark.data == {"transport": "header"} and mark.t_ns == 10
    assert isinstance(out, FrameRecord) and out.dir == "out" and out.type == "user_message"
    assert isinstance(inc, FrameRecord)
    assert (inc.type, inc.run_id, inc.thread_id, inc.user_id) == ("agent_started", "r1", "t1", "u1")
    assert inc.size == len(json.dumps(frame)) and inc.t == pytest.approx(0.003)
    assert isinstance(binary, FrameRecord) and binary.text is None
    assert base64.b64decode(binary.b64 or "") == b"\x00\x01binary"
    events = iter_timed_events(cas)
    assert [e.type for e in events] == ["agent_started", ""]
    assert events[0].t == pytest.approx(0.003) and events[0].wall == 1.7


def test_token_never_reaches_the_file(tmp_path: Path) -> None:
    tok = token()
    raw_secret = "not-a-jwt-but-secret-123"
    path = tmp_path / "s.jsonl"
    url = f"ws://127.0.0.1:9/ws?token={tok}&jwt={raw_secret}&mode=main"
    with Recorder(
        path,
        endpoint=url,
        token=tok,
        user="u",
        started_wall=0.0,
        secrets=[raw_secret],
        labels={"leak": f"Bearer {tok}"},
    ) as rec:
        rec.frame("out", json.dumps({"type": "x", "token": tok, "s": raw_secret}), t_ns=1, wall=0)
        rec.frame("in", f"jwt.{encode_subprotocol_token(tok)}", t_ns=2, wall=0)
        rec.mark("upgrade_done", t_ns=3, wall=0, data={"headers": [["Authorization", tok]]})
        later = "later-secret-value-456"
        rec.add_secret(later)
        rec.frame("out", f"now {later}", t_ns=4, wall=0)
    text = path.read_text()
    for secret in (tok, raw_secret, encode_subprotocol_token(tok), "later-secret-value-456"):
        assert secret not in text
    assert not JWT_LIKE.search(text)
    cas = load_cassette(path)
    assert "mode=main" in cas.header.endpoint and "token=" in cas.header.endpoint


def test_redact_helpers() -> None:
    tok = token()
    assert tok not in redact_url(f"wss://h/ws?access_token={tok}")
    assert "<redacted>" in redact_url("wss://user:pw@h/ws")
    assert redact_url("not a url at all ::") == "not a url at all ::"
    headers = redact_headers(
        {"Authorization": f"Bearer {tok}", "Sec-WebSocket-Protocol": f"jwt.{tok}", "X": "y"}
    )
    flat = json.dumps(headers)
    assert tok not in flat and "Bearer eyJ" in flat and ["X", "y"] in [list(h) for h in headers]
    assert redact_subprotocol("jwt-auth") == "jwt-auth"
    # The token's own fingerprint, as token inspect shows it, not the encoded value's.
    shown = redact_subprotocol(f"jwt.{encode_subprotocol_token(tok)}")
    assert shown == f"jwt.<base64url {fingerprint(tok)}>"
    assert redact_subprotocol(f"jwt.{tok}") == f"jwt.{fingerprint(tok)}"


def test_a_redacted_url_shows_readable_fingerprints_and_redacts_to_itself() -> None:
    # "…" was percent-encoded, and the fingerprint's "#" read as a fragment when a redacted
    # URL (quoted by a mark or an error message) was redacted again: "?ticket=Ycu…#1#2".
    tok = token()
    once = redact_url(f"ws://127.0.0.1:8000/ws?ticket=Ycu4f9a2b7c1&token={tok}&x=a b")
    assert re.fullmatch(
        r"ws://127\.0\.0\.1:8000/ws\?ticket=…#[0-9a-f]{8}&token=eyJ…#[0-9a-f]{8}&x=a\+b", once
    ), once
    assert redact_url(once) == once


def test_oversized_frame_keeps_head_and_hash(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    big = json.dumps({"type": "partial_result", "run_id": "r9", "content": "x" * MAX_TEXT_BYTES})
    with new_recorder(path) as rec:
        rec.frame("in", big, t_ns=1, wall=0.0)
    (frame,) = load_cassette(path).frames
    assert frame.truncated and frame.size == len(big) and len(frame.text or "") == 1024
    assert frame.type == "partial_result" and frame.run_id == "r9"
    assert frame.sha256 and len(frame.sha256) == 64
    (ev,) = iter_timed_events(load_cassette(path))
    assert ev.type == "partial_result" and ev.event.problem


def test_truncated_last_line_is_reported_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with new_recorder(path) as rec:
        for i in range(3):
            rec.frame("in", json.dumps({"type": "agent_thinking", "i": i}), t_ns=i, wall=0.0)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 25])  # cut the last line mid-way, no newline
    cas = load_cassette(path)
    assert len(cas.frames) == 2
    (warning,) = cas.warnings
    assert warning.lineno == 4 and "truncated last line" in str(warning)


def test_garbled_line_in_the_middle_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "g.jsonl"
    with new_recorder(path) as rec:
        rec.frame("in", '{"type": "a"}', t_ns=1, wall=0.0)
    with open(path, "ab") as fh:
        fh.write(b'{"kind": "frame", "dir": "sideways", "t_ns": 1, "text": ""}\n')
        fh.write(b"\xff\xfe not utf8\n[1, 2]\n\n")
        fh.write(b'{"kind": "mark", "name": "close", "t_ns": 9, "wall": 1, "data": {}}\n')
    cas = load_cassette(path)
    assert [w.lineno for w in cas.warnings] == [3, 4, 5]
    assert "sideways" in str(cas.warnings[0]) and "UTF-8" in str(cas.warnings[1])
    assert [type(r).__name__ for r in cas.records] == ["FrameRecord", "MarkRecord"]


def test_a_header_the_reader_does_not_fully_understand_is_warned_about(tmp_path: Path) -> None:
    # The format promises a warning for a wrong field, never silence.
    path = tmp_path / "h.jsonl"
    header = {
        "kind": "header",
        "format": "netra-cassette",
        "version": 99,
        "started_wall": "yesterday",
        "labels": {"nodeid": "t::a", "outcome": ["failed"]},
    }
    path.write_text(json.dumps(header) + "\n")
    cas = load_cassette(path)
    assert cas.header is not None and cas.header.started_wall is None
    messages = [str(w) for w in cas.warnings]
    assert [w.lineno for w in cas.warnings] == [1, 1, 1]
    assert "version 99 is newer than this reader's (1)" in messages[0]
    assert "labels 'outcome' are not strings" in messages[1]
    assert "'started_wall' is 'yesterday'" in messages[2]
    path.write_text(json.dumps({**header, "version": 1, "labels": ["x"], "started_wall": 1.5}))
    (warning,) = load_cassette(path).warnings
    assert "'labels' is list, not an object" in str(warning)


def test_unreadable_cassettes_raise_recording_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot read"):
        load_cassette(tmp_path / "missing.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(RecordingError, match="no header") as info:
        load_cassette(empty)
    assert info.value.line == 1
    notes = tmp_path / "notes.jsonl"
    notes.write_text('{"kind": "frame", "dir": "in", "t_ns": 1, "text": "{}"}\n')
    with pytest.raises(RecordingError, match="not a cassette"):
        load_cassette(notes)


def test_recorder_refuses_unwritable_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(RecordingError) as info:
        new_recorder(blocker / "sub" / "x.jsonl")
    # (which path is wrong, and how: the OS said only "Not a directory")
    assert f"cannot create its folder {blocker / 'sub'}: {blocker} is a file" in str(info.value)


def test_load_frames_columns_are_exactly_documented(tmp_path: Path) -> None:
    empty = load_frames([])
    assert list(empty.frames.columns) == list(FRAME_COLUMNS)
    assert list(empty.events.columns) == list(EVENT_COLUMNS)
    assert list(empty.runs.columns) == list(RUN_COLUMNS)
    doc = (Path(__file__).parents[2] / "docs" / "cassette-format.md").read_text()
    for cols in (FRAME_COLUMNS, EVENT_COLUMNS, RUN_COLUMNS):
        assert ", ".join(cols) in " ".join(doc.split()), cols


def test_runs_without_run_marks_are_grouped_by_thread(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    with new_recorder(path) as rec:
        for i, (etype, thread) in enumerate(
            [("agent_started", "t1"), ("agent_started", "t2"), ("agent_completed", "t1")]
        ):
            frame = {"type": etype, "thread_id": thread, "run_id": f"r-{thread}"}
            rec.frame("in", json.dumps(frame), t_ns=i * 1_000_000, wall=0.0)
    runs = load_frames(path).runs
    assert sorted(runs["thread_id"]) == ["t1", "t2"]
    t1 = runs[runs["thread_id"] == "t1"].iloc[0]
    assert t1["outcome"] == "completed" and t1["n_events"] == 2 and t1["end_ms"] == 2.0


async def test_session_recording_loads_into_dataframes(tmp_path: Path) -> None:
    cfg = EmulatorConfig(auth=AuthMode.STRICT, timing=TimingProfile.instant())
    tok = token()
    async with run_service(cfg) as svc:
        for i in range(2):
            path = tmp_path / "runs" / f"user{i}.jsonl"
            async with Session.connect(
                svc.url, token=tok, record=path, labels={"nodeid": f"t::{i}"}, ping_every=None
            ) as session:
                first = await session.run("one", timeout=10 * TIMEOUT_FACTOR)
                second = await session.run("two", timeout=10 * TIMEOUT_FACTOR, thread_id="thread-2")
                assert first.outcome is second.outcome is RunOutcome.COMPLETED
    frames, events, runs = load_frames(tmp_path / "runs")
    assert set(frames["cassette"]) == {str(tmp_path / "runs" / f"user{i}.jsonl") for i in range(2)}
    assert "label_nodeid" in frames.columns and set(frames["label_nodeid"]) == {"t::0", "t::1"}
    assert set(frames["user"]) == {"user-rec-1"}
    assert len(runs) == 4 and set(runs["outcome"]) == {"completed"}
    assert set(runs["terminal"]) == {"agent_completed"}
    assert "thread-2" in set(runs["thread_id"])
    assert (runs["first_event_ms"] >= runs["start_ms"]).all()
    assert (runs["end_ms"] >= runs["first_event_ms"]).all()
    n_agent = events[events["kind"] == "agent"].groupby("cassette").size()
    assert (n_agent == runs.groupby("cassette")["n_events"].sum()).all()
    assert events["server_ts"].notna().any()
    marks = set(frames.loc[frames["kind"] == "mark", "mark"])
    assert {"connect_start", "upgrade_done", "connection_established", "close"} <= marks
    text = "".join(p.read_text() for p in (tmp_path / "runs").iterdir())
    assert tok not in text and not JWT_LIKE.search(text)
