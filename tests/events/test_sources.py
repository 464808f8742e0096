"""Cassette lines → events, marks and a contract context (docs/cassette-format.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from event_streams import frame, golden_run

from netra_diag.errors import RecordingError
from netra_diag.events.contracts import Rule, check_run
from netra_diag.events.sources import (
    load_cassette_stream,
    read_cassette,
    timed_events_from_cassette,
)
from netra_diag.recording_format import frame_line, header_line, mark_line


def cassette_lines(*, user: str = "u1", big: bool = False) -> list[str]:
    lines = [
        header_line(
            endpoint="ws://127.0.0.1:8000/ws",
            transport="subprotocol",
            token_fingerprint="eyJ…#a1b2c3d4",
            user=user,
            tool_version="0.1.0",
            started_wall=1764028800.0,
            labels={"nodeid": "tests/test_x.py::test_y"},
        ),
        mark_line("connect_start", t_ns=1_000_000, wall=1764028800.001),
        mark_line("upgrade_done", t_ns=2_000_000, wall=1764028800.002, data={"status": 101}),
        frame_line("in", json.dumps({"type": "connection_established"}), t_ns=3_000_000, wall=None),
        frame_line(
            "out",
            json.dumps({"type": "user_message", "payload": {"content": "hi", "thread_id": "t1"}}),
            t_ns=4_000_000,
            wall=None,
        ),
    ]
    for t, body in golden_run(t0=0.1):
        lines.append(frame_line("in", json.dumps(body), t_ns=int(t * 1e9), wall=None))
    if big:
        huge = frame("partial_result", content="x" * (1 << 20))
        lines.append(frame_line("in", json.dumps(huge), t_ns=2_000_000_000, wall=None))
    lines.append(mark_line("ping_rtt", t_ns=500_000_000, wall=None, data={"rtt_ms": 3.5}))
    lines.append(mark_line("close", t_ns=2_100_000_000, wall=None, data={"code": 1000}))
    return lines


def test_read_lines_into_events_and_marks() -> None:
    stream = read_cassette(cassette_lines(), source="run.jsonl")
    assert [te.type for te in stream.events] == [
        "connection_established",
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
    ]
    assert [te.index for te in stream.events] == list(range(6))
    assert stream.events[1].t == pytest.approx(0.1)
    assert [m.name for m in stream.marks] == [
        "connect_start",
        "upgrade_done",
        "frame_out",
        "ping_rtt",
        "close",
    ]
    assert stream.marks[2].data == {"type": "user_message", "thread_id": "t1"}
    assert stream.user == "u1" and stream.threads == frozenset({"t1"})
    assert stream.labels == {"nodeid": "tests/test_x.py::test_y"}
    assert stream.end == pytest.approx(2.1) and stream.label == "run.jsonl"
    report = check_run(stream.events, context=stream.context())
    assert report.ok and report.verdict.startswith("PASS: 1 run, 5 agent events in 6 frames")


def test_text_and_bytes_and_path(tmp_path: Path) -> None:
    text = "\n".join(cassette_lines()) + "\n"
    assert len(read_cassette(text).events) == 6
    assert len(read_cassette(text.encode()).events) == 6
    path = tmp_path / "c.jsonl"
    path.write_text(text)
    assert next(te.type for te in timed_events_from_cassette(path)) == "connection_established"
    assert load_cassette_stream(path).source == str(path)


def test_damaged_lines_are_warnings() -> None:
    lines = cassette_lines()
    lines.insert(3, "{not json")
    lines.append('{"kind": "frame", "dir": "in", "t_ns": 9')  # killed mid-write
    stream = read_cassette(lines, source="c.jsonl")
    assert len(stream.events) == 6
    assert len(stream.warnings) == 2
    assert stream.warnings[0].startswith("c.jsonl: line 4: not valid JSON")


def test_not_a_cassette(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="not a cassette"):
        read_cassette(['{"kind": "frame"}'], source="x.jsonl")
    with pytest.raises(RecordingError, match="empty input"):
        read_cassette("")
    with pytest.raises(RecordingError, match="cannot read"):
        load_cassette_stream(tmp_path / "missing.jsonl")


def test_truncated_big_frame_keeps_its_type_and_size() -> None:
    stream = read_cassette(cassette_lines(big=True))
    big = stream.events[-1]
    assert big.type == "partial_result" and "stored truncated" in (big.event.problem or "")
    assert big.event.run_id == "r1"
    report = check_run(stream.events, context=stream.context())
    (finding,) = report.by_rule(Rule.OVERSIZED_FRAME)
    assert "over the service's max_message_size of 1,048,576 bytes" in finding.message
    assert not report.by_rule(Rule.INVALID_FRAME)


def test_binary_frames_are_decoded() -> None:
    lines = cassette_lines()
    lines.append(frame_line("in", b'{"type": "heartbeat"}', t_ns=2_050_000_000, wall=None))
    stream = read_cassette(lines)
    assert stream.events[-1].type == "heartbeat"


def test_context_can_skip_isolation() -> None:
    stream = read_cassette(cassette_lines(user="someone-else"))
    assert check_run(stream.events, context=stream.context()).by_rule(Rule.FOREIGN_EVENT)
    relaxed = stream.context(isolation=False)
    assert not check_run(stream.events, context=relaxed).by_rule(Rule.FOREIGN_EVENT)
