"""What ``netra-diag trace --help`` says about unreadable cassettes is what it does."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.trace import EPILOG
from netra_diag.recording import Recorder


def cassette(path: Path) -> Path:
    rec = Recorder(
        path, endpoint="ws://127.0.0.1:1/ws", transport="header", user="u1", started_wall=1.8e9
    )
    rec.close()
    return path


def test_one_unreadable_among_several_is_skipped_and_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette(tmp_path / "a.jsonl")
    (tmp_path / "faults.jsonl").write_text('{"fault": "stall"}\n')
    out = tmp_path / "t.json"
    assert (
        main(["trace", str(tmp_path / "a.jsonl"), str(tmp_path / "faults.jsonl"), "-o", str(out)])
        == 0
    )
    said = capsys.readouterr()
    assert "1 unreadable, skipped" in said.out and "skipped" in said.err
    assert "skipped with a note" in EPILOG
    assert main(["trace", str(tmp_path / "faults.jsonl"), "-o", str(out)]) == 2
