"""``netra-diag probe``'s text summary: an unreadable frame is counted by name (not as a
bare ``×1``), and a run that received nothing says so instead of printing an empty line."""

from __future__ import annotations

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


def summary_lines(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(["probe", "--time-scale", "0", *argv])
    out = capsys.readouterr().out
    return code, out.splitlines()[out.splitlines().index("== handshake") :]


def test_an_unreadable_frame_is_counted_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = summary_lines(capsys, "--faults", "malformed_frame")
    assert code == ExitCode.CONTRACT
    counts = lines[lines.index(next(x for x in lines if x.startswith("== run:"))) + 1]
    assert "<invalid frame>×1" in counts, counts
    assert not counts.strip().startswith("×") and ", ×" not in counts, counts


def test_a_run_without_events_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = summary_lines(capsys, "--faults", "close_1011_after_first_message")
    assert code == ExitCode.CONNECTION
    run = next(i for i, x in enumerate(lines) if x.startswith("== run:"))
    assert lines[run + 1].strip() == "(no events)", lines
