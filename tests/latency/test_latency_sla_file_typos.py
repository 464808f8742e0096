"""SLA files with a mistyped table or a check's field outside its check: the error names the
line, and says where such a field belongs."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_diag.cli import main

CHECK = """\
[[check]]
id = "connect"
phase = "connect"
statistic = "max"
comparison = "<"
threshold = "5 s"
"""


def _error(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    path = tmp_path / "sla.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["sla", "show", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"netra-diag sla: error: {path}:"), err
    return err.removeprefix(f"netra-diag sla: error: {path}")


def test_a_mistyped_array_of_tables_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = '# latency budget\nname = "api"\n\n' + CHECK.replace("[[check]]", "[[checks]]")
    err = _error(tmp_path, text, capsys)
    assert err.startswith(":4: field 'checks': unknown field 'checks' (did you mean 'check'?)")


def test_a_single_bracket_check_table_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(tmp_path, "# latency budget\n\n" + CHECK.replace("[[check]]", "[check]"), capsys)
    assert err.startswith(":3: 'check' must be an array of tables ([[check]])"), err


def test_a_where_table_outside_its_check_says_where_it_belongs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = _error(tmp_path, CHECK + '\n[where]\ntool = "log_search"\n', capsys)
    assert err.startswith(":8: field 'where': unknown field 'where'"), err
    assert "a field of a check: put it below its [[check]] header" in err
    assert "[check.where]" in err
    # ... and the table it suggests is read as the check's filter
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(CHECK + '\n[check.where]\ntool = "log_search"\n', encoding="utf-8")
    assert main(["sla", "show", str(fixed)]) == 0
    assert "tool = 'log_search'" in capsys.readouterr().out


# (A limit no value can meet is a bad file: tests/latency/test_sla_timed_out_runs.py.)


def test_a_limit_that_can_be_met_is_not_warned_of(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sla.toml"
    path.write_text(CHECK + CHECK.replace('"connect"', '"c2"', 1).replace("5 s", "0.5 ms"))
    assert main(["sla", "show", str(path)]) == 0
    assert "warning" not in capsys.readouterr().out
