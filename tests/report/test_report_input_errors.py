"""A file given as results that is no results file is bad input, as for ``netra-diag triage``
(exit 2, "not a results file"), not a notebook that broke: ``netra-diag report suite_triage
-p results notes.txt`` said "notebook failed: ... NotResultsFile: ..." and exited 8."""

from __future__ import annotations

import json
from pathlib import Path

from netra_diag.cli.exit_codes import ExitCode
from netra_diag.report import run_report


def test_a_file_that_is_no_results_is_bad_input(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("what I ran yesterday\n", encoding="utf-8")
    result = run_report(
        "suite_triage", {"results": str(notes)}, out_dir=tmp_path / "out", html=False
    )
    assert result.exit_code is ExitCode.USAGE
    assert result.headline.startswith("bad input, nothing checked: ")
    assert "notes.txt:1: not a results file" in result.headline
    summary = json.loads(result.summary_path.read_text(encoding="utf-8"))
    assert summary["status"] == "bad_input"


def test_every_input_and_connection_error_the_package_defines_is_known() -> None:
    import netra_diag.live.ticket  # noqa: F401  (defines a ConnectFailed of its own)
    from netra_diag import errors
    from netra_diag.report.outcome import INPUT_ERRORS, UNREACHABLE_ERRORS

    def names_under(root: type[BaseException]) -> set[str]:
        return {root.__name__}.union(*(names_under(c) for c in root.__subclasses__()))

    for root in (errors.UsageError, errors.ReportParseError, errors.RecordingError):
        assert names_under(root) <= INPUT_ERRORS
    assert names_under(errors.ConnectFailed) <= UNREACHABLE_ERRORS
