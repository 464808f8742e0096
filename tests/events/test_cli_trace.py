"""``netra-diag trace CASSETTE... -o trace.json``: the trace file, the summary, the exit codes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from event_streams import golden_run

from netra_diag.cli import main
from netra_diag.recording_format import frame_line, header_line, mark_line


def write_cassette(
    path: Path, items: Sequence[tuple[float, Mapping[str, Any]]], *, tail: str = ""
) -> Path:
    lines = [
        header_line(
            endpoint="ws://127.0.0.1:8000/ws",
            transport="subprotocol",
            token_fingerprint=None,
            user="u1",
            tool_version="0.1.0",
            started_wall=1764028800.0,
        ),
        mark_line("connect_start", t_ns=0, wall=None),
        frame_line("in", json.dumps({"type": "connection_established"}), t_ns=1_000_000, wall=None),
        mark_line("message_sent", t_ns=2_000_000, wall=None, data={"type": "user_message"}),
    ]
    lines += [frame_line("in", json.dumps(body), t_ns=int(t * 1e9), wall=None) for t, body in items]
    lines.append(mark_line("ping_rtt", t_ns=300_000_000, wall=None, data={"rtt_ms": 4.2}))
    path.write_text("\n".join(lines) + "\n" + tail)
    return path


def test_trace_of_two_cassettes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_cassette(tmp_path / "good.jsonl", golden_run(t0=0.1))
    bad = write_cassette(tmp_path / "bad.jsonl", golden_run(t0=0.1)[:-1], tail='{"kind": "fr')
    out = tmp_path / "trace.json"
    code = main(["trace", str(good), str(bad), "-o", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert (
        f"{good}: 1 run (t1/r1), 6 frames received, 0 findings\n"
        "  PASS: 1 run, 5 agent events in 6 frames" in printed
    )
    assert "  FAIL: run t1/r1 never completed (no agent_completed" in printed
    assert "note: " in printed and "line 10" in printed  # the truncated last line of bad.jsonl
    assert f"wrote {out}: " in printed
    trace = json.loads(out.read_text())
    processes = [e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "process_name"]
    assert processes == ["good.jsonl", "bad.jsonl"]
    assert any(e["ph"] == "C" for e in trace["traceEvents"])


def test_strict_fails_on_a_broken_contract(tmp_path: Path) -> None:
    bad = write_cassette(tmp_path / "bad.jsonl", golden_run()[:-1])
    assert main(["trace", str(bad), "-o", str(tmp_path / "t.json"), "--strict"]) == 3
    good = write_cassette(tmp_path / "good.jsonl", golden_run())
    assert main(["trace", str(good), "-o", str(tmp_path / "t.json"), "--strict"]) == 0


def test_directory_stdout_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    write_cassette(folder / "a.jsonl", golden_run())
    write_cassette(folder / "b.jsonl", golden_run(run="r7"))
    html = tmp_path / "t.html"
    assert main(["trace", str(folder), "-o", "-", "--html", str(html)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["otherData"]["sources"] == ["a.jsonl", "b.jsonl"]
    assert "PASS" in captured.err and f"wrote {html}" in captured.err
    assert html.read_text().count("plotly") > 0


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "t.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    not_cassette = tmp_path / "x.jsonl"
    not_cassette.write_text('{"hello": 1}\n')
    assert main(["trace", str(not_cassette)]) == 2
    assert "not a cassette" in capsys.readouterr().err
    good = write_cassette(tmp_path / "good.jsonl", golden_run())
    assert main(["trace", str(good), "--stall-threshold", "0"]) == 2
    assert "--stall-threshold must be > 0" in capsys.readouterr().err
    assert main(["trace", str(tmp_path / "empty-dir-that-is-missing") + "/"]) == 2
    with pytest.raises(SystemExit):
        main(["trace"])


def test_a_directory_without_cassettes_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["trace", str(empty), "-o", str(tmp_path / "t.json")]) == 2
    assert capsys.readouterr().err == (
        f"netra-diag trace: error: {empty}: no cassettes (*.jsonl) found\n"
    )
    # A good cassette does not hide an empty folder given next to it (a mistyped date folder).
    good = write_cassette(tmp_path / "good.jsonl", golden_run())
    assert main(["trace", str(good), str(empty), "-o", str(tmp_path / "t.json")]) == 2
    assert f"{empty}: no cassettes" in capsys.readouterr().err


def test_help_lists_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["trace", "--help"])
    text = capsys.readouterr().out
    assert "exit codes:" in text and "netra-diag trace recordings/run.jsonl -o trace.json" in text


def test_a_file_that_is_no_cassette_does_not_hide_the_others(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netra_diag.recording import load_frames

    folder = tmp_path / "recs"
    folder.mkdir()
    write_cassette(folder / "a.jsonl", golden_run(t0=0.1))
    (folder / "zz-binary.jsonl").write_bytes(bytes(range(256)))
    assert main(["trace", str(folder), "-o", str(tmp_path / "t.json")]) == 0
    captured = capsys.readouterr()
    assert f"{folder / 'zz-binary.jsonl'}:1: not a cassette" in captured.err
    assert "from 1 cassette (1 unreadable, skipped)" in captured.out
    warnings: list[str] = []
    frames = load_frames(folder, on_warning=warnings.append)
    assert len(frames.events) > 0 and any("zz-binary.jsonl:1" in w for w in warnings)
    with pytest.raises(Exception, match="not a cassette"):
        load_frames(folder)  # without on_warning, nobody would hear of it: an error
    (folder / "a.jsonl").unlink()
    assert main(["trace", str(folder)]) == 2  # nothing readable at all
