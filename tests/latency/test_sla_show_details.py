"""``sla show`` lists what decides each check's rows, not only its rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

FILE = """\
[[check]]
id = "t"
phase = "tool_duration"
statistic = "p95"
comparison = "<"
threshold = "2 s"
source = "server"
where = { tool = "cost_analyzer" }
min_samples = 20
sustained = "60 s"
"""


def test_show_names_filters_and_burst(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(FILE, encoding="utf-8")
    assert main(["sla", "show", str(path)]) == ExitCode.OK
    line = capsys.readouterr().out.splitlines()[1]
    assert line == (
        "  t: tool_duration p95 < 2 s (sustained 60 s, source server, "
        "tool = 'cost_analyzer', at least 20 samples)"
    )
    assert main(["sla", "show", "service"]) == ExitCode.OK
    assert "event_gap rate > 50 /s (over bursts of 20 events)" in capsys.readouterr().out


def test_summary_of_nothing_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from latency_kit import CassetteBuilder

    path = CassetteBuilder(user="u1").write(tmp_path / "empty.jsonl")  # a header, no lines
    main(["sla", "check", "service", str(path), "--summary"])
    assert capsys.readouterr().out.rstrip().endswith("no latency samples")
