"""A test renamed between the baseline and this run is said as possibly renamed when both runs
place it (real pytest runs: xunit1 JUnit and pytest-json-report give each test's file and line).

Baseline -> this run: test_checkout (failing) is renamed test_pay at the same line;
test_param's cases b, c become d, e (two gone and two new at one line: which became which cannot
be told, no pair); test_legacy is deleted and test_other written at the end of the file (not at
its place: no pair).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import run_history

from netra_diag.cli import main
from netra_diag.cli.exit_codes import ExitCode
from netra_diag.suites import triage

_BEFORE = """
import pytest


def test_steady():
    pass


def test_checkout():
    assert False, "card declined"


@pytest.mark.parametrize("v", ["a", "b", "c"])
def test_param(v):
    pass


def test_legacy():
    pass
"""

_AFTER = (
    _BEFORE.replace("def test_checkout", "def test_pay")
    .replace('["a", "b", "c"]', '["a", "d", "e"]')
    .replace("def test_legacy():\n    pass\n", "")
    + "\n\ndef test_other():\n    pass\n"
)

_XUNIT1 = {"PYTEST_ADDOPTS": "-o junit_family=xunit1"}


def _runs(where: Path, fmt: str, env: dict[str, str] | None = None) -> tuple[Path, Path]:
    out = where / f"runs-{fmt}-{bool(env)}"
    (before,) = run_history(where, _BEFORE, [1], fmt=fmt, env=env, out=out)
    (after,) = run_history(where, _AFTER, [2], fmt=fmt, env=env, out=out)
    return before, after


@pytest.mark.parametrize(("fmt", "env"), [("xml", _XUNIT1), ("json", None)])
def test_a_test_renamed_in_place_is_paired(
    fmt: str, env: dict[str, str] | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before, after = _runs(tmp_path, fmt, env)
    report = triage(after, baseline=before)
    assert report.diff is not None
    assert report.diff.possibly_renamed == (("case_hist::test_checkout", "case_hist::test_pay"),)
    # (still listed as removed and added: the pair is a reading, not a fact)
    assert "case_hist::test_checkout" in report.diff.removed
    assert "case_hist::test_pay" in report.diff.added
    text = report.to_text()
    assert (
        "possibly renamed, same file and line (1): case_hist::test_checkout -> case_hist::test_pay"
    ) in text
    gone = next(f for f in report.findings if "failing in the baseline is gone" in f.phrase)
    assert gone.detail.endswith(
        "removed, renamed or not collected? Possibly renamed: "
        "case_hist::test_checkout -> case_hist::test_pay"
    )
    added = next(f for f in report.findings if "not in the baseline" in f.phrase)
    assert added.detail == "possibly renamed: case_hist::test_pay from case_hist::test_checkout"
    # (a reading, not a fact: the renamed test failing is still new to the exit code)
    code = main(["triage", str(after), "--baseline", str(before), "--json"])
    assert code == ExitCode.NEW_FAILURES
    data = json.loads(capsys.readouterr().out)["diff"]["possibly_renamed"]
    assert data == [{"removed": "case_hist::test_checkout", "added": "case_hist::test_pay"}]


def test_runs_that_do_not_place_their_tests_pair_nothing(tmp_path: Path) -> None:
    # pytest's default JUnit (xunit2) gives no file or line: nothing says where a test is
    before, after = _runs(tmp_path, "xml")
    report = triage(after, baseline=before)
    assert report.diff is not None and report.diff.possibly_renamed == ()
    assert "case_hist::test_pay" in report.diff.added
    assert "possibly renamed" not in report.to_text().lower()
