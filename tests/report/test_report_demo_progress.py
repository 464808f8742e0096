"""``netra-diag demo`` in CI (no terminal, so no progress bar) still says, while it records,
that it is working and how far it got: a silent minute reads as a hang."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netra_diag.cli import demo_collect, main


def test_recording_without_a_terminal_prints_progress_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_collect, "HEARTBEAT_S", 0.2)
    argv = ["demo", "--users", "3", "--runs", "4", "--faults", "", "--no-report"]
    code = main([*argv, "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "  recording 13 runs (a progress line every 0.2 s) ..." in out
    ticks = re.findall(r"still recording after \d+ s: (\d+) of 13 runs ended", out)
    assert ticks, out
    assert all(0 <= int(n) <= 13 for n in ticks)
    # Progress comes before the results it leads to.
    assert out.index("still recording") < out.index("== one agent turn")
