"""What trace says of a session beside its verdict: that the recording stops mid-session (its
writer killed: "run never completed" alone reads as the service's fault), and how many runs were
the session's own, apart from those it only saw through other users' leaked events."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main


def test_a_recording_cut_before_its_close_is_said_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    whole = tmp_path / "whole.jsonl"
    assert main(["probe", "--sub", "u1", "--record", str(whole), "--time-scale", "0.1"]) == 0
    capsys.readouterr()
    lines = whole.read_text(encoding="utf-8").splitlines(keepends=True)
    cut_at = next(i for i, line in enumerate(lines) if '"agent_completed"' in line)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[:cut_at]), encoding="utf-8")
    main(["trace", str(whole), "-o", str(tmp_path / "w.json")])
    assert "stops mid-session" not in capsys.readouterr().out
    main(["trace", str(cut), "-o", str(tmp_path / "c.json")])
    out = capsys.readouterr().out
    assert "note: the recording stops mid-session (no close recorded)" in out
    assert " frames received" in out and "1 frames" not in out


def test_runs_seen_only_through_leaked_events_are_not_counted_as_the_sessions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = tmp_path / "rec"
    argv = ["fanout", "--users", "3", "--faults", "leak_other_user@1.0", "--time-scale", "0.1"]
    main([*argv, "--record", str(recorded), "--no-progress"])
    capsys.readouterr()
    firsts = []
    for cassette in sorted(recorded.glob("*.jsonl")):
        main(["trace", str(cassette), "-o", str(tmp_path / "t.json")])
        firsts.append(capsys.readouterr().out.splitlines()[0])
    assert all(": 1 run (" in line for line in firsts), firsts
    assert any("leaked from other users" in line for line in firsts), firsts
