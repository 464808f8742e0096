"""A CI artifact folder holds more than test results: a coverage.xml or a package.json found in
a results folder is left out with a warning, where it made the whole run unreadable; given by
name, or when nothing else is there, it is still an error."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_render_history_fields import _FAIL, _run

from netra_diag.cli import main
from netra_diag.errors import NotResultsFile, ReportParseError
from netra_diag.suites import load_results, triage

_COVERAGE = (
    '<?xml version="1.0" ?>\n<coverage version="7.6.1" line-rate="0.8"><sources/></coverage>\n'
)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    folder.mkdir()
    _run(
        folder / "junit.xml",
        {"test_a": ("0.1", _FAIL), "test_b": ("0.1", "")},
        "2026-12-07T10:00:00",
    )
    (folder / "coverage.xml").write_text(_COVERAGE, encoding="utf-8")
    (folder / "package.json").write_text('{"name": "e2e", "version": "1.0.0"}', encoding="utf-8")
    return folder


def test_other_files_in_a_results_folder_are_left_out_and_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    report = triage(folder)
    assert report.current.counts.failed == 1 and report.current.counts.passed == 1
    left_out = [w for w in report.warnings if "left out, not test results" in w]
    assert len(left_out) == 2, report.warnings
    assert any("coverage.xml" in w and "root element is <coverage>" in w for w in left_out)
    assert any("package.json" in w for w in left_out)


def test_a_non_results_file_given_by_name_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path)
    with pytest.raises(NotResultsFile, match="root element is <coverage>"):
        load_results(folder / "coverage.xml")
    assert main(["triage", str(folder / "coverage.xml")]) == 2
    assert "coverage.xml:" in capsys.readouterr().err


def test_a_folder_with_no_results_at_all_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "only-coverage"
    folder.mkdir()
    (folder / "coverage.xml").write_text(_COVERAGE, encoding="utf-8")
    with pytest.raises(ReportParseError, match="no test results among its files"):
        load_results(folder)
