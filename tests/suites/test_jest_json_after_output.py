"""``jest --json > results.json``: what the tests or the code under test wrote to stdout comes
first, on lines of its own, and the file was "not a results file". jest's own line is read,
and a warning says what was left out and how to keep the two apart."""

from __future__ import annotations

from pathlib import Path

import pytest
from suite_runs import FIXTURES

from netra_diag.errors import ReportParseError
from netra_diag.suites import load_results

MIXED = FIXTURES / "jest_json" / "mixed.json"


@pytest.mark.parametrize(
    "before",
    ["connecting to ws://127.0.0.1:8000/ws\nagent ready\n", '{"level": "info", "msg": "up"}\n'],
    ids=["text", "a-json-log-line"],
)
def test_jest_json_after_stdout_output_is_read(tmp_path: Path, before: str) -> None:
    noisy = tmp_path / "results.json"
    noisy.write_text(before + MIXED.read_text(encoding="utf-8"), encoding="utf-8")
    run, clean = load_results(noisy), load_results(MIXED)
    assert run.counts == clean.counts
    (note,) = [w for w in run.warnings if "before jest's JSON" in w]
    lines = before.count("\n")
    assert f"the {lines} line(s) before jest's JSON (line {lines + 1}) were left out" in note
    assert "--outputFile" in note


def test_other_text_is_still_not_results(tmp_path: Path) -> None:
    other = tmp_path / "notes.json"
    other.write_text("hello\n{not json", encoding="utf-8")
    with pytest.raises(ReportParseError, match="not a results file"):
        load_results(other)
