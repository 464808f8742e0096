"""``--max-tests`` as large as a user may type: every rendering ends at once, listing all."""

from __future__ import annotations

import json

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

HUGE = str(10**15)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("form", [[], ["--format", "markdown"], ["--format", "github"]])
def test_a_huge_max_tests_renders_at_once(
    form: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # (--format github looped once per "round" up to max_tests: 10**8 took minutes)
    assert main(["triage", "--demo", *form, "--max-tests", HUGE]) == ExitCode.NEW_FAILURES
    huge = capsys.readouterr().out
    assert main(["triage", "--demo", *form, "--max-tests", "1000"]) == ExitCode.NEW_FAILURES
    assert huge == capsys.readouterr().out
    assert "more)" not in huge  # (nothing cut)


def test_a_huge_max_tests_with_json_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "--demo", "--json", "--max-tests", HUGE]) == ExitCode.NEW_FAILURES
    assert json.loads(capsys.readouterr().out)["run"]["tests"] == 40
