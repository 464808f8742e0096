"""``netra-diag triage --demo`` names the bundled results file the same on every machine: its
installed path (site-packages, a checkout) said nothing a reader needs and differed per machine."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode

BUNDLED = str(files("netra_diag") / "data" / "suites")


@pytest.mark.parametrize("form", [[], ["--format", "markdown"], ["--format", "github"]])
def test_demo_output_names_the_bundled_file_not_its_path(
    form: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["triage", "--demo", *form]) == ExitCode.NEW_FAILURES
    out = capsys.readouterr().out
    assert BUNDLED not in out
    if not form:
        assert "run      : 40 tests from current.xml (bundled demo data) [junit-pytest]" in out


def test_demo_json_names_the_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage", "--demo", "--json"]) == ExitCode.NEW_FAILURES
    out = capsys.readouterr().out
    assert BUNDLED not in out
    assert json.loads(out)["run"]["sources"] == ["current.xml (bundled demo data)"]


def test_a_results_file_given_with_demo_keeps_its_own_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # (only the bundled file is renamed: a user's own results are shown as given)
    mine = f"{BUNDLED}/baseline.xml"
    assert main(["triage", "--demo", mine, "--json"]) == ExitCode.OK
    assert json.loads(capsys.readouterr().out)["run"]["sources"] == [mine]
