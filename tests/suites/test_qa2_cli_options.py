"""Options of ``netra-diag triage`` that cannot go together are refused, not half obeyed."""

from __future__ import annotations

import pytest

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
