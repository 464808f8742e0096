"""Options of ``netra-diag triage`` that cannot go together are refused, not half obeyed."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_runs import STEADY_FLIP_OUTAGE, run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode


@pytest.mark.parametrize("fmt", ["markdown", "github"])
def test_json_and_another_format_are_refused(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    # (JSON was printed, and the Markdown or annotations asked for dropped without a word)
    assert main(["triage", "--demo", "--json", "--format", fmt]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert f"--json and --format {fmt} are two outputs: give one" in err


def test_json_with_the_default_format_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "--demo", "--json", "--format", "text"]) == ExitCode.NEW_FAILURES
    assert capsys.readouterr().out.startswith("{")


def test_history_without_results_names_the_newest_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = run_history(tmp_path, STEADY_FLIP_OUTAGE, [9, 10])  # (run-10 sorts after run-9)
    folder = str(runs[0].parent)
    assert main(["triage", "--history", folder]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("netra-diag triage: error: give RESULTS files or --demo: --history")
    assert f"netra-diag triage {runs[1]} --history {folder}" in err
    # (the command it suggests works)
    assert main(["triage", str(runs[1]), "--history", folder]) == ExitCode.OK


@pytest.mark.parametrize(
    ("option", "argv"),
    [
        ("--baseline", ["--baseline", ""]),
        ("--history", ["--history", ""]),
        ("--recordings", ["--recordings", " "]),
        ("RESULTS", [""]),
    ],
)
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    option: str,
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # ('--baseline "$LAST_GREEN"' with the variable unset: the current folder, where the new
    # results lie too, was read as the baseline, and the run passed against itself)
    runs = run_history(tmp_path, STEADY_FLIP_OUTAGE, [1], env={"QA_FLIP_FAILS": "1"})
    monkeypatch.chdir(runs[0].parent)
    results = [] if option == "RESULTS" else [runs[0].name]
    assert main(["triage", *results, *argv]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert f"error: {option}: an empty path (an unset variable?)" in err


def test_help_says_what_history_is_read_for(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["triage", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(flakiness, and tests much slower than their earlier passes)" in text
    assert "a quoted pattern ('reports/junit-*.xml') reads the files it matches" in text
